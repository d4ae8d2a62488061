// What the Spark tests share: the servers the test run started, and SparkApplication settings.
import type { SparkK8sSettings } from '../../shared/adapters/engine/spark/spark-applications.js';

export const KUBECONFIG = process.env['FEATURESTORE_TEST_KUBECONFIG'];
export const SPARK_SUBMIT = process.env['FEATURESTORE_TEST_SPARK_SUBMIT'];

/** A job's application in the test namespace: small resources, credentials by Secret reference. */
export const TEST_SPARK_K8S: SparkK8sSettings = {
  namespace: 'default',
  image: 'ghcr.io/featurestore/spark-runner:0.1.0',
  sparkVersion: '4.1.1',
  serviceAccount: 'featurestore-spark-driver',
  driver: { cores: 1, memory: '1g' },
  executor: { instances: 3, cores: 1, memory: '2g' },
  sparkConf: { 'spark.ui.enabled': 'false' },
  hadoopSecret: 'featurestore-spark-hadoop',
  mainApplicationFile: 'local:///opt/featurestore/runner.py',
};
