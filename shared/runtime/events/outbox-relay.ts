import { backoff } from '../../core/waiting.js';
import type { CloudEventV1 } from 'cloudevents';
import PQueue from 'p-queue';
import { FeatureStoreError } from '../../core/errors.js';
import type { Outbox, OutboxEvent } from '../../core/ports/outbox.js';
import type { Logger } from '../logger.js';

export interface RelayOptions {
  /** How often to look for new events when not kicked. */
  intervalMs?: number;
  /** Attempts before an event is dead-lettered. */
  maxAttempts?: number;
  /** Events delivered at once. */
  concurrency?: number;
  /** First retry delay; doubles per attempt up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
}

export function toCloudEvent(e: OutboxEvent): CloudEventV1<Record<string, unknown>> {
  return {
    specversion: '1.0',
    id: e.id,
    source: e.source,
    type: e.type,
    subject: e.subject,
    time: e.time.toISOString(),
    datacontenttype: 'application/json',
    data: e.data,
  };
}

/**
 * Delivers committed outbox events, oldest first, at least once: an event is marked published
 * only after `deliver` resolves, so a crash in between delivers it again (handlers dedupe on
 * source+id). Failures are retried with exponential backoff; errors that say they are not
 * retryable, and events that exhaust their attempts, are dead-lettered and logged.
 * In the embedded default `deliver` calls the handlers in process; in service mode it produces
 * to Kafka (issue #5).
 */
export class OutboxRelay {
  private readonly queue: PQueue;
  private readonly inFlight = new Set<number>();
  private readonly notBefore = new Map<number, number>();
  private timer?: NodeJS.Timeout;
  private polling?: Promise<void>;
  private again = false;
  private stopped = false;
  private readonly o: Required<RelayOptions>;

  constructor(
    private readonly outbox: Outbox,
    private readonly deliver: (event: CloudEventV1<Record<string, unknown>>) => Promise<void>,
    private readonly logger: Logger,
    options: RelayOptions = {},
  ) {
    this.o = { intervalMs: 100, maxAttempts: 5, concurrency: 4, backoffMs: 200, maxBackoffMs: 30_000, ...options };
    this.queue = new PQueue({ concurrency: this.o.concurrency });
  }

  start(): void {
    this.schedule(0);
  }

  /** Looks for events now (after a commit in this process, say). */
  kick(): void {
    if (this.polling) this.again = true;
    else this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.polling = this.poll().finally(() => {
        this.polling = undefined;
        this.schedule(this.again ? 0 : this.o.intervalMs);
        this.again = false;
      });
    }, ms);
  }

  private async poll(): Promise<void> {
    let events: OutboxEvent[];
    try {
      events = await this.outbox.pending(100);
    } catch (err) {
      this.logger.warn({ err }, 'outbox relay cannot read the outbox; retrying');
      return;
    }
    const now = Date.now();
    for (const e of events) {
      if (this.inFlight.has(e.seq) || (this.notBefore.get(e.seq) ?? 0) > now) continue;
      this.inFlight.add(e.seq);
      void this.queue.add(() => this.send(e));
    }
  }

  private async send(e: OutboxEvent): Promise<void> {
    try {
      await this.deliver(toCloudEvent(e));
      await this.outbox.markPublished([e.seq]);
      this.notBefore.delete(e.seq);
    } catch (err) {
      const attempts = e.attempts + 1;
      const retryable = err instanceof FeatureStoreError ? err.retryable : true;
      const deadLetter = !retryable || attempts >= this.o.maxAttempts;
      const message = err instanceof Error ? err.message : String(err);
      try {
        await this.outbox.markFailed(e.seq, message, deadLetter);
      } catch (markErr) {
        this.logger.warn({ err: markErr, eventId: e.id }, 'cannot record a failed delivery');
      }
      if (deadLetter) {
        this.notBefore.delete(e.seq);
        this.logger.error({ eventId: e.id, type: e.type, attempts, error: message }, 'event dead-lettered');
      } else {
        this.notBefore.set(e.seq, Date.now() + backoff(attempts, this.o.backoffMs, this.o.maxBackoffMs));
        this.logger.warn({ eventId: e.id, type: e.type, attempts, error: message }, 'event delivery failed; will retry');
      }
    } finally {
      this.inFlight.delete(e.seq);
    }
  }

  /** Stops polling and waits for deliveries in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.polling;
    await this.queue.onIdle();
  }
}
