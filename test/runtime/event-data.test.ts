import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EVENT_DATA, readEventData } from '../../shared/core/event-data.js';
import { InvalidArgument } from '../../shared/core/errors.js';
import { EventTypes, PING_EVENT_TYPE } from '../../shared/core/events.js';
import { SERVICE_MODE } from '../../functions/wiring.js';
import { startHost } from '../../shared/runtime/host.js';
import { testLogger } from '../support/silent-logger.js';

const refused = (fn: () => unknown, field: string, message: RegExp) =>
  assert.throws(fn, (err: unknown) => err instanceof InvalidArgument && err.field === field && message.test(err.message));

describe('event data', () => {
  it('has a schema for every event type a function declares', () => {
    const declared = SERVICE_MODE.flatMap((d) => (d.trigger.kind === 'event' || d.trigger.kind === 'cron' ? d.trigger.events : []));
    assert.ok(declared.length >= 6);
    for (const type of declared) assert.ok(type in EVENT_DATA, type);
  });

  it('passes well-formed data through, other fields kept', () => {
    const ingest = { ingestId: '0b6f1a52-5d0e-4a7e-9a43-6f1d3c2b1a00', project: 'shop', featureSet: 'orders', major: 2, files: ['a'], jobId: 'x' };
    assert.deepEqual(readEventData(EventTypes.ingestCommitted, ingest), ingest);
    assert.deepEqual(
      readEventData(EventTypes.featureSetChanged, { project: 'p', featureSet: 'f', version: '1.2', change: 'ttl', major: 1, ttlSeconds: null }).ttlSeconds,
      null,
    );
    assert.equal(readEventData(EventTypes.jobStatus, { jobId: '0b6f1a52-5d0e-4a7e-9a43-6f1d3c2b1a00', type: 'INGEST' }).state, undefined);
    readEventData(PING_EVENT_TYPE, undefined);
  });

  it('refuses malformed data naming the field (the broker does not retry a 400)', () => {
    refused(() => readEventData(EventTypes.jobRequested, { jobId: 'j1' }), 'data.jobId', /"j1" is not a job id/);
    refused(() => readEventData(EventTypes.jobRequested, undefined), 'data.jobId', /required/);
    refused(
      () => readEventData(EventTypes.ingestReverted, { ingestId: '0b6f1a52-5d0e-4a7e-9a43-6f1d3c2b1a00', project: 'p;drop', featureSet: 'f', major: 1 }),
      'data.project',
      /not a name/,
    );
    refused(
      () => readEventData(EventTypes.ingestCommitted, { ingestId: '0b6f1a52-5d0e-4a7e-9a43-6f1d3c2b1a00', project: 'p', featureSet: 'f', major: 0 }),
      'data.major',
      /./,
    );
    refused(
      () => readEventData(EventTypes.featureSetChanged, { project: 'p', featureSet: 'f', version: '1', change: 'x', ttlSeconds: -5 }),
      'data.ttlSeconds',
      /./,
    );
    refused(() => readEventData(EventTypes.jobStatus, { jobId: '0b6f1a52-5d0e-4a7e-9a43-6f1d3c2b1a00', state: 'DONE' }), 'data.state', /./);
  });

  it('a host refuses to start a function whose handlers are not the events its trigger declares', async () => {
    await assert.rejects(
      startHost(
        [
          {
            name: 'sloppy',
            trigger: { kind: 'event', events: [EventTypes.jobRequested] },
            init: async () => ({ events: { [EventTypes.jobStatus]: async () => {} } }),
          },
        ],
        { env: { PORT: '0', FEATURESTORE_BIND: '127.0.0.1', FEATURESTORE_METADATA_URL: 'pglite:memory' }, logger: testLogger },
      ),
      /sloppy declares events \[dev.featurestore.job.requested.v1\] but handles \[dev.featurestore.job.status.v1\]/,
    );
  });
});
