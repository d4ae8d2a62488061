import { randomUUID } from 'node:crypto';
import { CloudEvent, HTTP } from 'cloudevents';
import { PING_EVENT_TYPE } from '../../shared/core/events.js';
import type { Logger } from '../../shared/runtime/logger.js';

/**
 * Does locally what Knative's PingSource does: every `everyMs` it POSTs a `dev.knative.sources.ping`
 * CloudEvent to the sink (never two at once; a failed tick is logged and the next one comes on time).
 */
export function startPingSource(o: { name: string; url: string; everyMs: number; logger: Logger }): { stop(): void } {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    const { headers, body } = HTTP.binary(
      new CloudEvent({ id: randomUUID(), source: `/local/pingsources/${o.name}`, type: PING_EVENT_TYPE, datacontenttype: 'application/json', data: {} }),
    );
    void fetch(o.url, {
      method: 'POST',
      headers: headers as Record<string, string>,
      body: JSON.stringify(body ?? {}),
      signal: AbortSignal.timeout(Math.max(o.everyMs * 10, 60_000)),
    })
      .then(async (res) => {
        if (!res.ok) o.logger.warn({ ping: o.name, status: res.status, reply: (await res.text()).slice(0, 300) }, 'ping not taken; the next one comes on time');
      })
      .catch((err: unknown) => o.logger.warn({ ping: o.name, err: String(err) }, 'ping not delivered; the next one comes on time'))
      .finally(() => (busy = false));
  }, o.everyMs);
  return { stop: () => clearInterval(timer) };
}
