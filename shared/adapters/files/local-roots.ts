import { existsSync, realpathSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgument, NotFound, PermissionDenied } from '../../core/errors.js';

/**
 * Confines file:// URIs to configured root folders. Symlinks are resolved before the check, so a
 * link inside a root cannot lead outside it.
 */
export class LocalRoots {
  private readonly roots: string[];

  constructor(roots: string[]) {
    this.roots = roots.map((r) => {
      const abs = resolve(r);
      return existsSync(abs) ? realpathSync(abs) : abs;
    });
  }

  /** Resolves a file:// URI (or a plain absolute path) to a real path inside a root. */
  async resolve(uri: string, field = 'source.uri'): Promise<string> {
    let path: string;
    try {
      path = uri.startsWith('file:') ? fileURLToPath(uri) : uri;
    } catch {
      throw new InvalidArgument(`"${uri}" is not a valid file URI; use file:///absolute/path`, { field });
    }
    if (!isAbsolute(path)) throw new InvalidArgument(`"${uri}" is not absolute; use file:///absolute/path`, { field });
    let real: string;
    try {
      real = await realpath(path);
    } catch {
      // Check the lexical path first so a missing file outside the roots does not reveal whether it exists.
      this.check(path, uri, field);
      throw new NotFound(`"${uri}" does not exist`, { field });
    }
    this.check(real, uri, field);
    return real;
  }

  private check(path: string, uri: string, field: string): void {
    if (!this.roots.some((root) => isWithin(root, path))) {
      throw new PermissionDenied(`"${uri}" is outside the folders this server may read (FEATURESTORE_FILE_ROOTS)`, { field });
    }
  }
}

function isWithin(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}
