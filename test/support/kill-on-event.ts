// Fault injection for crash tests, preloaded with --import into a host process: kill -9 as an
// event whose type is in TEST_KILL_ON_EVENT (comma-separated) is handed to its handler (it stays
// unpublished in the outbox, so the restarted process delivers it again).
import { subscribe } from 'node:diagnostics_channel';
import { EVENT_DELIVERY_CHANNEL } from '../../shared/runtime/host.js';

const types = new Set((process.env['TEST_KILL_ON_EVENT'] ?? '').split(',').filter(Boolean));
if (types.size > 0) {
  subscribe(EVENT_DELIVERY_CHANNEL, (message) => {
    if (types.has((message as { type: string }).type)) process.kill(process.pid, 'SIGKILL');
  });
}
