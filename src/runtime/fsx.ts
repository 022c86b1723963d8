import { constants, type Stats } from 'node:fs';
import { lstat, mkdir, open, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

export async function lstatOrNull(p: string): Promise<Stats | null> {
  try {
    return await lstat(p);
  } catch (e) {
    if (isNotFound(e)) return null;
    throw e;
  }
}

export async function statOrNull(p: string): Promise<Stats | null> {
  try {
    return await stat(p);
  } catch (e) {
    if (isNotFound(e)) return null;
    throw e;
  }
}

export function isNotFound(e: unknown): boolean {
  const c = (e as NodeJS.ErrnoException)?.code;
  return c === 'ENOENT' || c === 'ENOTDIR';
}

/** `e` with `path` set to `file` when the call that failed did not say it (readFile on a folder: EISDIR). */
export function withPath(e: unknown, file: string): unknown {
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err === 'object' && err.code && !err.path) err.path = file;
  return e;
}

export function errnoCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException)?.code;
}

/**
 * A JSON file's value, or null when the file is missing (ENOENT, ENOTDIR) or is not JSON. Any
 * other error reading it (EACCES, EISDIR, …) is thrown. The caller checks the value's shape.
 */
export async function readJsonOrNull(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if (isNotFound(e)) return null;
    throw withPath(e, file);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    if (e instanceof SyntaxError) return null;
    throw e;
  }
}

/** Create the folder `dir` (not its parents) with `mode`, unless it is already there. */
export async function ensureDir(dir: string, mode: number): Promise<void> {
  await mkdir(dir, { mode }).catch((e: unknown) => {
    if (errnoCode(e) !== 'EEXIST') throw e;
  });
}

/** fsync a folder, so that a rename or create inside it survives a power loss. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export function nonce(): string {
  return `${process.pid}.${randomBytes(4).toString('hex')}`;
}

/**
 * Write a file so that readers see the old content or the new, never a part: a temporary
 * file created with `mode` from the start (never wider, not even for a moment), fsync, rename,
 * fsync of the folder. `owner`: the file is given to it before it gets its name (a file of the
 * node's that glr replaces stays the node's).
 */
export async function atomicWriteFile(file: string, data: string | Uint8Array, mode = 0o644, owner?: { uid: number; gid: number }): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${nonce()}.tmp`);
  const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    await fh.writeFile(data);
    if (owner && (owner.uid !== process.geteuid?.() || owner.gid !== process.getegid?.())) await fh.chown(owner.uid, owner.gid);
    await fh.chmod(mode);
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw e;
  }
  await fh.close();
  try {
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
  await fsyncDir(path.dirname(file));
}

export async function removeTree(p: string): Promise<void> {
  await rm(p, { recursive: true, force: true, maxRetries: 3 });
}
