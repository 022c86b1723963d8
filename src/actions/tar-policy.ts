import path from 'node:path';

/**
 * What a release tarball may contain. GenLayer's have one top folder (stripped on extraction)
 * with files, folders and links that stay inside it. Anything else refuses the whole release:
 * a tarball that tries to leave its folder is not "mostly fine".
 */
export const ALLOWED_TYPES = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory', 'SymbolicLink', 'Link']);

export interface EntryLike {
  type: string;
  linkpath?: string | undefined;
}

/** Tracks the top folder across entries; `check` returns why an entry is refused, or null. */
export class TarPolicy {
  private top: string | null = null;

  check(rawPath: string, entry: EntryLike): string | null {
    const p = rawPath.replace(/^(\.\/)+/, '');
    if (p.startsWith('/')) return `entry ${show(rawPath)} has an absolute path`;
    const parts = p.split('/').filter((s) => s !== '' && s !== '.');
    if (parts.includes('..')) return `entry ${show(rawPath)} leaves its folder (..)`;
    if (!ALLOWED_TYPES.has(entry.type)) return `entry ${show(rawPath)} is a ${entry.type}, which a release never holds`;
    const first = parts[0];
    if (first === undefined) return null;
    if (this.top === null) this.top = first;
    else if (first !== this.top) return `more than one top folder (${show(this.top)}, ${show(first)}); a GenLayer release has one`;
    if (parts.length === 1 && entry.type !== 'Directory') return `entry ${show(rawPath)} is outside the release's top folder`;

    if (entry.type === 'SymbolicLink') {
      const target = entry.linkpath ?? '';
      if (target.startsWith('/')) return `link ${show(rawPath)} points at an absolute path (${show(target)})`;
      const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(parts.join('/')), target));
      if (resolved === '..' || resolved.startsWith('../') || resolved.split('/')[0] !== this.top || resolved === this.top) {
        return `link ${show(rawPath)} points outside the release (${show(target)})`;
      }
    }
    if (entry.type === 'Link') {
      const target = (entry.linkpath ?? '').replace(/^(\.\/)+/, '');
      const tparts = target.split('/');
      if (target.startsWith('/') || tparts.includes('..') || tparts[0] !== this.top) {
        return `hard link ${show(rawPath)} points outside the release (${show(entry.linkpath ?? '')})`;
      }
    }
    return null;
  }

  get topFolder(): string | null {
    return this.top;
  }
}

function show(s: string): string {
  const one = JSON.stringify(s);
  return one.length > 80 ? `${one.slice(0, 77)}..."` : one;
}
