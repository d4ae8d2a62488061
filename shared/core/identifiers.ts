import { InvalidArgument } from './errors.js';
import { shortened } from './messages.js';

/**
 * The one identifier rule for projects, feature sets and features. It keeps names safe as SQL
 * identifiers (PostgreSQL's 63-byte limit), object-store path segments and Redis key parts.
 */
export const IDENTIFIER_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export function isIdentifier(value: string): boolean {
  return IDENTIFIER_PATTERN.test(value);
}

/** Returns the name when valid; throws InvalidArgument naming the field otherwise. */
export function requireIdentifier(value: string | undefined, field: string): string {
  if (value === undefined || value === '') throw new InvalidArgument('is required', { field });
  if (!isIdentifier(value)) {
    throw new InvalidArgument(`"${shortened(value)}" is not a valid name: use letters, digits and _, start with a letter or _, at most 63 characters`, {
      field,
    });
  }
  return value;
}
