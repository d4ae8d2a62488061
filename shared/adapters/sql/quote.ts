import { InvalidArgument } from '../../core/errors.js';
import { isIdentifier } from '../../core/identifiers.js';

/**
 * The one way an identifier reaches SQL: checked against the identifier rule, then double-quoted.
 * The rule admits no quote characters, so quoting cannot be escaped.
 */
export function quoteIdent(name: string): string {
  if (!isIdentifier(name)) throw new InvalidArgument(`"${name}" is not a valid identifier`);
  return `"${name}"`;
}
