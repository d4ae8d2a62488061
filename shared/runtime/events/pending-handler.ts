import { Unimplemented } from '../../core/errors.js';
import type { EventHandler } from '../function.js';

/** A handler for an event type whose capability has not landed: answered as not retryable (422). */
export function pendingHandler(why: string): EventHandler {
  return async (event) => {
    throw new Unimplemented(`events of type ${event.type} are not handled yet: ${why}`);
  };
}
