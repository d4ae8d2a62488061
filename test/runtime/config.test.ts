// Settings are parsed once; a bad one stops the process naming it, and object-store URLs are checked.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseObjectUrl, rootPrefix } from '../../shared/adapters/object-store/object-url.js';
import { PermissionDenied } from '../../shared/core/errors.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, configurationMarkdown, loadConfig, SETTINGS } from '../../shared/runtime/config.js';
import { REPO } from '../support/process.js';
import { Dependencies } from '../../shared/runtime/dependencies.js';
import { testLogger } from '../support/silent-logger.js';

describe('configuration', () => {
  it('defaults to the embedded store and local offline files', () => {
    const c = loadConfig({});
    assert.equal(c.metadataUrl, 'pglite:.featurestore/metadata');
    assert.equal(c.offlineUrl, undefined);
    assert.match(c.offlineDir, /\.featurestore\/offline$/);
    assert.equal(c.objectStores.s3.region, 'us-east-1');
  });

  it('names every bad setting', () => {
    assert.throws(
      () => loadConfig({ PORT: 'x', FEATURESTORE_OFFLINE_URL: 'ftp://nope', FEATURESTORE_S3_ENDPOINT: 'not a url' }),
      (e: unknown) =>
        e instanceof ConfigError &&
        /PORT: must be a port number/.test(e.message) &&
        /FEATURESTORE_OFFLINE_URL: use s3:\/\/bucket\/prefix/.test(e.message) &&
        /FEATURESTORE_S3_ENDPOINT: must be a URL/.test(e.message),
    );
    assert.throws(
      () => loadConfig({ FEATURESTORE_SPARK_K8S_REPORT_ENDPOINT: 'http://register/' }),
      (e: unknown) => e instanceof ConfigError && /FEATURESTORE_SPARK_K8S_REPORT_ENDPOINT: use host:port/.test(e.message),
    );
    assert.equal(loadConfig({ FEATURESTORE_SPARK_K8S_REPORT_ENDPOINT: 'grpcs://register.fs.svc:443' }).sparkK8s.reportEndpoint, 'grpcs://register.fs.svc:443');
  });

  it('docs/configuration.md is what the config schema says (run `make docs` after changing a setting)', () => {
    assert.equal(readFileSync(join(REPO, 'docs', 'configuration.md'), 'utf8'), configurationMarkdown());
    for (const setting of SETTINGS) assert.match(configurationMarkdown(), new RegExp(`\\| \`${setting}\` \\|`), setting);
  });

  it('chooses the engine and the authentication by type, naming the types it knows', async () => {
    const c = loadConfig({});
    assert.deepEqual([c.engine, c.auth], ['duckdb', 'local']);
    assert.throws(
      () => loadConfig({ FEATURESTORE_ENGINE: 'spark', FEATURESTORE_AUTH: 'ldap' }),
      (e: unknown) =>
        e instanceof ConfigError && /FEATURESTORE_ENGINE: use one of duckdb/.test(e.message) && /FEATURESTORE_AUTH: use one of local/.test(e.message),
    );
    const deps = new Dependencies(c, testLogger);
    try {
      assert.equal(deps.engine().constructor.name, 'DuckDbEngine');
      assert.equal(deps.authorizer().constructor.name, 'LocalAuthorizer');
      assert.equal(deps.offlineStore().constructor.name, 'LocalObjectStore');
    } finally {
      await deps.close();
    }
  });

  it('parses s3:// and abfss:// URLs and refuses escaping prefixes', () => {
    assert.deepEqual(parseObjectUrl('s3://my-bucket/a/b'), { scheme: 's3', bucket: 'my-bucket', path: 'a/b' });
    assert.deepEqual(parseObjectUrl('abfss://lake@acct01.dfs.core.windows.net/x'), { scheme: 'abfss', fileSystem: 'lake', account: 'acct01', path: 'x' });
    assert.equal(parseObjectUrl('s3://UPPER/x'), undefined);
    assert.equal(parseObjectUrl('abfss://lake@acct01.blob.core.windows.net/x'), undefined);
    assert.equal(rootPrefix('lake/', 'f'), 'lake/');
    assert.equal(rootPrefix('', 'f'), '');
    assert.throws(() => rootPrefix('a/../b', 'f'));
  });

  it('refuses an ADLS offline store without an account key when it is first needed, naming the setting', () => {
    const deps = new Dependencies(loadConfig({ FEATURESTORE_OFFLINE_URL: 'abfss://lake@acct01.dfs.core.windows.net/root' }), testLogger);
    assert.throws(
      () => deps.offlineStore(),
      (e: unknown) => e instanceof PermissionDenied && e.field === 'FEATURESTORE_OFFLINE_URL',
    );
  });
});
