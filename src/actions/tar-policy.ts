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

/** Names glr writes into a version folder itself: a release that ships them is not trusted. */
const GLR_NAMES = /^\.glr-/;

/**
 * Tracks the top folder and the symbolic links across entries; `check` returns why an entry is
 * refused, or null.
 *
 * Links are checked so that they cannot leave the release however they combine: no entry is
 * written through a link (a path under an earlier symlink), and a symlink's target may climb
 * (`..`) only at its start, before any folder name. A target like `a/M/../../x` looks inside on
 * paper, but if `a/M` is itself a link that points up, `a/M/..` is somewhere else on disk: with
 * `..` only leading, every link resolves on disk where it resolves on paper.
 */
export class TarPolicy {
  private top: string | null = null;
  private readonly symlinks = new Set<string>();

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
    if (parts.length === 2 && GLR_NAMES.test(parts[1]!)) return `entry ${show(rawPath)} is a name glr keeps for itself (its preparation markers)`;
    for (let i = 1; i < parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      if (this.symlinks.has(prefix)) return `entry ${show(rawPath)} is written through the link ${show(prefix)}`;
    }

    if (entry.type === 'SymbolicLink') {
      const target = entry.linkpath ?? '';
      if (target.startsWith('/')) return `link ${show(rawPath)} points at an absolute path (${show(target)})`;
      const tparts = target.split('/').filter((s) => s !== '' && s !== '.');
      const firstName = tparts.findIndex((s) => s !== '..');
      if (firstName >= 0 && tparts.slice(firstName).includes('..')) {
        return `link ${show(rawPath)} has .. after a folder name in its target (${show(target)}), which can lead out of the release through another link`;
      }
      const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(parts.join('/')), target));
      if (resolved === '..' || resolved.startsWith('../') || resolved.split('/')[0] !== this.top || resolved === this.top) {
        return `link ${show(rawPath)} points outside the release (${show(target)})`;
      }
      this.symlinks.add(parts.join('/'));
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
