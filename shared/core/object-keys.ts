import { InvalidArgument } from './errors.js';

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.=+-]*$/;

/**
 * Checks an object key (or a prefix, which may end with '/'): relative, '/'-separated segments of
 * letters, digits and _ . = + - that are not '.' or '..'. Keys so formed cannot escape a root.
 */
export function requireObjectKey(key: string, options: { prefix?: boolean } = {}, field = 'key'): string {
  const body = options.prefix && key.endsWith('/') ? key.slice(0, -1) : key;
  if (options.prefix && body === '') return key;
  const segments = body.split('/');
  if (!body || segments.some((s) => !SEGMENT.test(s) || s === '.' || s === '..')) {
    throw new InvalidArgument(`"${key}" is not a valid object key: use relative a/b/c paths of letters, digits and _ . = + -`, { field });
  }
  return key;
}
