// How often a job's progress reaches the jobs table: a count in the message (materialization's
// "N keys online") must not turn every report into a write.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { progressThrottle } from '../../shared/core/use-cases/job-run.js';

describe('job progress throttle', () => {
  it('writes a phase once per period however its count changes, a new phase and the end at once', () => {
    let clock = 1000;
    const due = progressThrottle(250, () => clock);
    const written: string[] = [];
    const report = (fraction: number, message: string) => due(fraction, message) && written.push(message);
    report(0.1, '1000 keys online');
    for (let n = 2; n <= 50; n++) report(n / 100, `${n * 1000} keys online`); // all within one period
    clock += 100;
    report(0.55, 'uploading'); // a new phase
    report(0.56, 'uploading');
    clock += 300;
    report(0.6, 'uploading'); // the period passed
    report(1, 'uploading'); // the end
    assert.deepEqual(written, ['1000 keys online', 'uploading', 'uploading', 'uploading']);
  });

  it('tells phases apart by their words, not their numbers', () => {
    const due = progressThrottle(250, () => 0);
    assert.equal(due(0.1, 'reading 3 ingest(s)'), true);
    assert.equal(due(0.1, 'reading 4 ingest(s)'), false);
    assert.equal(due(0.2, 'statistics over 4 remaining ingest(s)'), true);
  });
});
