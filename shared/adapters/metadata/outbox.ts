import { EventTypes, type DomainEvent } from '../../core/events.js';
import { CATALOG_CHANNEL } from './sql-change-feed.js';
import type { SqlExecutor } from '../sql/sql-client.js';

/** The CloudEvent source of events written by the catalog. */
export const CATALOG_EVENT_SOURCE = '/featurestore/catalog';

/** The NOTIFY channel that tells relays new events committed (payload empty). */
export const OUTBOX_CHANNEL = 'featurestore_outbox';

/** Appends events to the outbox inside the caller's transaction (transactional outbox). */
export async function writeEvents(tx: SqlExecutor, events: DomainEvent[]): Promise<void> {
  if (events.length > 0) await tx.query('SELECT pg_notify($1, $2)', [OUTBOX_CHANNEL, '']);
  for (const e of events) {
    await tx.query(`INSERT INTO outbox (type, source, subject, data) VALUES ($1, $2, $3, $4::jsonb)`, [
      e.type,
      CATALOG_EVENT_SOURCE,
      e.subject,
      JSON.stringify(e.data),
    ]);
    // Caches of definitions hear of the change as soon as it commits (see SqlChangeFeed).
    if (
      e.type === EventTypes.featureSetChanged ||
      e.type === EventTypes.featureViewChanged ||
      e.type === EventTypes.projectChanged ||
      e.type === EventTypes.accessChanged
    ) {
      await tx.query('SELECT pg_notify($1, $2)', [CATALOG_CHANNEL, e.subject]);
    }
  }
}
