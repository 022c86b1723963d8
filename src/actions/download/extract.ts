import { chmodSync, closeSync, constants, futimesSync, linkSync, lstatSync, mkdirSync, openSync, rmSync, symlinkSync, utimesSync, writeSync } from 'node:fs';
import path from 'node:path';

/** What extract needs of a tar entry (node-tar's ReadEntry has it). */
export interface TarEntry {
  path: string;
  type: string;
  mode?: number | undefined;
  mtime?: Date | undefined;
  linkpath?: string | undefined;
}

const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;

/**
 * Writes the entries of one tarball under `root`, their top folder stripped, with plain
 * synchronous calls, a slice at a time between two of the inflate's callbacks (unpack.ts): a file
 * costs only its own system calls (open, write, futimes, close). node-tar's own extraction adds an
 * lstat and several mkdir per entry, each of its calls a round trip through the thread pool that
 * the inflate shares: on a real-size release, tens of thousands of wake-ups.
 *
 * The entries have passed the tar policy (src/actions/tar-policy.ts) before they come here: one
 * top folder, no `..`, no absolute path, links that stay inside, nothing written through a link.
 * The folder is fresh, so a file is created exclusively (O_EXCL: never through a link already
 * there); an entry that names a path a previous entry wrote replaces it, as tar does.
 *
 * At most one file is open at a time: `abandon()` closes it, so that whatever way the unpacking
 * ends no file is left open (an open file keeps its blocks after the folder is removed).
 */
export class Extract {
  private readonly made = new Set<string>();
  /** folders whose own mode lacks owner rwx: set once everything inside them is written */
  private readonly laterModes: [string, number][] = [];
  /** folders' modification times, set last (writing inside a folder changes its own) */
  private readonly laterTimes: [string, Date][] = [];
  private fd: number | null = null;
  private entry: TarEntry | null = null;

  constructor(private readonly root: string) {
    this.made.add(root);
  }

  /** Starts an entry. A file's content then comes through `data()`, and `end()` closes it. */
  begin(e: TarEntry): void {
    const rel = stripTop(e.path);
    if (rel === null) return;
    const dest = path.join(this.root, rel);
    const mode = (e.mode ?? 0) & 0o7777;
    switch (e.type) {
      case 'Directory':
        this.dir(dest, mode || 0o755);
        if (e.mtime) this.laterTimes.push([dest, e.mtime]);
        return;
      case 'SymbolicLink':
        this.dir(path.dirname(dest));
        this.replacing(dest, () => symlinkSync(e.linkpath ?? '', dest));
        return;
      case 'Link': {
        const target = stripTop(e.linkpath ?? '');
        if (target === null) throw Object.assign(new Error(`hard link ${e.path} has no target`), { code: 'TAR_ENTRY_INVALID' });
        this.dir(path.dirname(dest));
        this.replacing(dest, () => linkSync(path.join(this.root, target), dest));
        return;
      }
      default:
        // File, OldFile, ContiguousFile: the policy lets nothing else through
        this.dir(path.dirname(dest));
        this.fd = this.replacing(dest, () => openSync(dest, CREATE, mode || 0o644));
        this.entry = e;
    }
  }

  /** Content of the file begun last. */
  data(chunk: Buffer): void {
    const fd = this.fd;
    if (fd === null) return;
    for (let off = 0; off < chunk.length;) off += writeSync(fd, chunk, off, chunk.length - off);
  }

  /** The file begun last is complete: its modification time as the tarball says, then closed. */
  end(): void {
    const fd = this.fd;
    if (fd === null) return;
    this.fd = null;
    const mtime = this.entry?.mtime;
    this.entry = null;
    try {
      if (mtime) futimesSync(fd, mtime, mtime);
    } finally {
      closeSync(fd);
    }
  }

  /** Every entry has been written: the folders get their times, and those that needed it their own mode, at last. */
  finish(): void {
    for (const [dir, mtime] of this.laterTimes) utimesSync(dir, mtime, mtime);
    for (const [dir, mode] of this.laterModes.reverse()) chmodSync(dir, mode);
  }

  /** Closes the file being written, if any (the unpacking stops half-way). Never throws. */
  abandon(): void {
    if (this.fd === null) return;
    try {
      closeSync(this.fd);
    } catch {
      // closed either way
    }
    this.fd = null;
  }

  /**
   * The folder and its parents; an entry's own mode is applied (with owner rwx until the end,
   * so that what the tarball puts inside can be written).
   */
  private dir(dir: string, mode?: number): void {
    if (mode === undefined && this.made.has(dir)) return;
    if (!this.made.has(path.dirname(dir))) this.dir(path.dirname(dir));
    const writable = mode === undefined ? 0o755 : mode | 0o700;
    try {
      mkdirSync(dir, writable);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (!lstatSync(dir).isDirectory()) {
        rmSync(dir);
        mkdirSync(dir, writable);
      } else if (mode !== undefined) chmodSync(dir, writable);
    }
    this.made.add(dir);
    if (mode !== undefined && mode !== writable) this.laterModes.push([dir, mode]);
  }

  /** Runs `make`; when the path is taken (a duplicate entry), removes what is there and runs it again. */
  private replacing<T>(dest: string, make: () => T): T {
    try {
      return make();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (lstatSync(dest).isDirectory())
        throw Object.assign(new Error(`${path.basename(dest)} is a folder in the tarball and then not`), { code: 'TAR_ENTRY_INVALID' });
      rmSync(dest);
      return make();
    }
  }
}

/** The entry's path without its top folder (the tar policy checked there is exactly one), or null for the top folder itself. */
function stripTop(p: string): string | null {
  const parts = p
    .replace(/^(\.\/)+/, '')
    .split('/')
    .filter((s) => s !== '' && s !== '.');
  return parts.length > 1 ? parts.slice(1).join('/') : null;
}
