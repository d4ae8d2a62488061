/**
 * Which CloudEvents a consumer has handled, keyed on the event's source and id (CloudEvents makes
 * that pair unique). Delivery is at least once (a relay or a Kafka consumer that crashes before it
 * commits sends again), so every event handler asks here first and records after it succeeded.
 */
export interface EventLedger {
  /** True when `consumer` already handled the event. */
  handled(consumer: string, source: string, id: string, signal?: AbortSignal): Promise<boolean>;
  /** Records a handled event; recording one twice is harmless. */
  record(consumer: string, event: { source: string; id: string; type: string }): Promise<void>;
  /** Forgets events handled longer ago than `olderThanMs` (redeliveries come within minutes). */
  forget(olderThanMs: number): Promise<number>;
}
