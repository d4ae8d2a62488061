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

/** A SQL string literal for engine-side text such as file paths we resolved (quotes doubled). */
export function quoteLiteral(text: string): string {
  if (text.includes('\0')) throw new InvalidArgument('text with a NUL byte cannot be quoted');
  return `'${text.replaceAll("'", "''")}'`;
}
