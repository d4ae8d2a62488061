import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FailedPrecondition } from '../../shared/core/errors.js';
import { JOB_SPEC_VERSION, readJobSpec, storedJobSpec, type JobSpecs } from '../../shared/core/job-specs.js';

const specs: JobSpecs = {
  INGEST: {
    project: 'p',
    featureSet: 'fs',
    major: 1,
    minor: 2,
    source: { uri: 's3://b/x.csv', format: 'CSV', options: { delimiter: ';' } },
    extraColumns: 'FAIL',
    logRange: { after: 3, through: 9 },
  },
  REVERT: { project: 'p', featureSet: 'fs', major: 1, ingestId: '0b6f1a52-5d0e-4a7e-9a43-6f1d3c2b1a00' },
  RETRIEVE: {
    project: 'p',
    featureSet: 'fs',
    major: 1,
    minor: 0,
    features: ['a'],
    startTime: '2026-01-01T00:00:00.000Z',
    asOfTime: '2026-02-01T00:00:00.000Z',
    format: 'CSV',
  },
  TRAINING_SET: {
    entities: {
      columns: ['id', 'ts'],
      rows: [
        ['1', '2026-01-01T00:00:00Z'],
        [['nested', 2], null],
      ],
    },
    timestampColumn: 'ts',
    parts: [{ project: 'p', featureSet: 'fs', major: 1, minor: 0, features: ['a', 'b'] }],
    format: 'PARQUET',
  },
  MATERIALIZE: { project: 'p', featureSet: 'fs', major: 3, endTime: '2026-03-01T00:00:00.000Z' },
};

describe('job specs', () => {
  for (const type of Object.keys(specs) as (keyof JobSpecs)[]) {
    it(`${type}: stored with its shape version, read back equal`, () => {
      const stored = storedJobSpec(specs[type]);
      assert.equal(stored['specVersion'], JOB_SPEC_VERSION);
      assert.deepEqual(readJobSpec(type, JSON.parse(JSON.stringify(stored)), 'j'), specs[type]);
    });
  }

  it('reads a spec written before specs had a version (release 0.1.0) as version 1', () => {
    assert.deepEqual(readJobSpec('INGEST', JSON.parse(JSON.stringify(specs.INGEST)), 'j'), specs.INGEST);
  });

  it('refuses a spec from a newer release, naming the job and what to do', () => {
    assert.throws(
      () => readJobSpec('REVERT', { ...specs.REVERT, specVersion: JOB_SPEC_VERSION + 1 }, 'job-7'),
      (err: unknown) =>
        err instanceof FailedPrecondition && /job-7 was written by a newer release/.test(err.message) && /upgrade this worker/.test(err.message),
    );
  });

  it('refuses a spec that does not match its type, naming the field', () => {
    assert.throws(
      () => readJobSpec('RETRIEVE', { ...specs.RETRIEVE, format: 'XLSX' }, 'job-8'),
      (err: unknown) => err instanceof FailedPrecondition && /job-8's stored RETRIEVE spec is not readable: format/.test(err.message),
    );
    assert.throws(() => readJobSpec('MATERIALIZE', { ...specs.MATERIALIZE, startTime: 'yesterday' }, 'j'), /startTime/);
    assert.throws(() => readJobSpec('INGEST', specs.REVERT, 'j'), FailedPrecondition);
    assert.throws(() => readJobSpec('TRAINING_SET', { ...specs.TRAINING_SET, parts: [] }, 'j'), /parts/);
  });
});
