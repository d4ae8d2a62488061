/** An event committed to the outbox, waiting to be delivered. */
export interface OutboxEvent {
  /** Commit order. */
  seq: number;
  /** The CloudEvent id (unique). */
  id: string;
  type: string;
  source: string;
  subject: string;
  data: Record<string, unknown>;
  time: Date;
  attempts: number;
}

/**
 * The read side of the transactional outbox, for the relay. Events come out in commit order;
 * an event is pending until marked published or dead-lettered.
 */
export interface Outbox {
  pending(limit: number, signal?: AbortSignal): Promise<OutboxEvent[]>;
  markPublished(seqs: number[]): Promise<void>;
  /** Counts a failed attempt; with deadLetter the event is set aside for good. */
  markFailed(seq: number, error: string, deadLetter: boolean): Promise<void>;
  /** Calls `onCommit` soon after events commit (and whenever some may have been missed), so a relay need not poll often. */
  watch(onCommit: () => void): Promise<{ close(): Promise<void> }>;
}
