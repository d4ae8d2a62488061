import type { CloudEventV1 } from 'cloudevents';
import type { EventLedger } from '../../core/ports/event-ledger.js';
import type { EventContext, EventHandler } from '../function.js';

/** What became of one delivery: the handler ran, or the event had been handled before. */
export type DeliveryOutcome = 'handled' | 'duplicate';
export type DeliveredHandler = (event: CloudEventV1<unknown>, ctx: EventContext) => Promise<DeliveryOutcome>;

const KEEP_MS = 7 * 24 * 3600_000;
const FORGET_EVERY_MS = 3600_000;

/**
 * Makes a handler safe to deliver to more than once: an event whose source+id the consumer already
 * handled is skipped; one is recorded only after its handler succeeded, so a crash in between
 * delivers it again. Two copies arriving at the same moment may both run: the handlers' own writes
 * are conditional (job claims, compare-and-set commits, newest-wins online writes), so that costs
 * work, not correctness.
 */
export function idempotent(consumer: string, handler: EventHandler, ledger: () => Promise<EventLedger>): DeliveredHandler {
  let lastForget = Date.now();
  return async (event, ctx) => {
    const l = await ledger();
    if (await l.handled(consumer, event.source, event.id, ctx.signal)) {
      ctx.logger.info({ eventId: event.id, source: event.source, type: event.type }, 'event already handled: skipped');
      return 'duplicate';
    }
    await handler(event, ctx);
    await l.record(consumer, event);
    if (Date.now() - lastForget > FORGET_EVERY_MS) {
      lastForget = Date.now();
      void l.forget(KEEP_MS).catch(() => {});
    }
    return 'handled';
  };
}
