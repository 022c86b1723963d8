import { open, readFile, stat, type FileHandle } from 'node:fs/promises';
import { execa } from 'execa';
import { isNotFound } from './fsx.js';

/**
 * `flock(2)` on a folder itself: an exclusive lock every process that sees the folder sees, in
 * any mount or network namespace (the lock is on the inode), held by the kernel for as long as
 * the holder's descriptor is open: a holder that dies, even by SIGKILL, frees it at once. It
 * writes nothing, not even a lock file, so a refused run leaves the root as it was.
 *
 * Node has no flock(); util-linux's `flock(1)` takes it on a descriptor it inherits (`flock -n
 * 3`): the lock belongs to the open file description, which glr's descriptor keeps after
 * flock(1) exits. glr's descriptor is close-on-exec: no child of glr (the node it starts among
 * them) ever holds it.
 */
export interface FolderLock {
  release(): Promise<void>;
}

/** flock(1)'s exit code when the lock is held elsewhere (`--nonblock`) */
const HELD = 1;

/**
 * Takes the lock on `folder`; 'held' when another process holds it; null when there is nothing
 * to lock (no such folder: nothing can be done there either) or flock(1) is not installed (the
 * abstract socket then excludes alone, in its network namespace).
 */
export async function lockFolder(folder: string): Promise<FolderLock | 'held' | null> {
  let fh: FileHandle;
  try {
    fh = await open(folder, 'r');
  } catch (e) {
    if (isNotFound(e)) return null;
    throw e;
  }
  const r = await execa('flock', ['--nonblock', '--exclusive', '3'], {
    reject: false,
    // execa passes a numeric descriptor straight to the child; its types only list small literals
    stdio: ['ignore', 'ignore', 'ignore', fh.fd as 3],
    timeout: 10_000,
  }).catch(() => null);
  if (r?.exitCode === 0) return { release: () => fh.close() };
  await fh.close();
  return r?.exitCode === HELD ? 'held' : null;
}

/**
 * Whether some process holds a flock on `folder`, without taking it (for `glr status`): the
 * kernel's list of locks, /proc/locks, names the device and inode of each (`MAJ:MIN:INODE`, the
 * device numbers in hex).
 */
export async function folderLocked(folder: string): Promise<boolean> {
  try {
    const st = await stat(folder);
    const dev = BigInt(st.dev);
    const major = Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
    const minor = Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
    const id = `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}:${st.ino}`;
    const locks = await readFile('/proc/locks', 'utf8');
    return locks.split('\n').some((l) => /\bFLOCK\b/.test(l) && l.split(/\s+/).includes(id));
  } catch {
    return false;
  }
}
