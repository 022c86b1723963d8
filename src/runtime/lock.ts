import { createHash } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { refuse } from '../errors.js';
import { folderLocked, lockFolder } from './folder-lock.js';

/**
 * One glr at a time per root, two locks taken together, both held by the kernel exactly as long
 * as the holder lives (a holder killed by SIGKILL or a power loss frees them at once; no
 * stale-file heuristics, nothing to delete), and neither writes anything:
 *
 * - `flock(2)` on the root folder itself (folder-lock.ts): every glr that can see the root sees
 *   it, whatever namespace it runs in (a container with the root mounted in locks the same
 *   inode). This is the lock that excludes.
 * - an abstract-namespace Unix socket named after the root's real path, on which the holder
 *   answers who it is (pid, command, since), so that a second glr, or `glr status`, can name it.
 *   Abstract sockets are per network namespace: a holder in another one cannot be named, only
 *   found by its folder lock.
 */
export interface LockInfo {
  pid: number;
  since: string;
  host: string;
  command: string;
}

export interface HeldLock {
  info: LockInfo;
  release(): Promise<void>;
}

async function socketName(root: string): Promise<string> {
  const real = await realpath(root).catch(() => path.resolve(root));
  return `\0glr-lock:${createHash('sha256').update(real).digest('hex').slice(0, 40)}`;
}

export async function acquireLock(root: string, command: string): Promise<HeldLock> {
  const name = await socketName(root);
  const info: LockInfo = { pid: process.pid, since: new Date().toISOString(), host: os.hostname(), command };
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.end(`${JSON.stringify(info)}\n`);
  });
  server.unref();
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  // the socket first: a second glr in this namespace then always finds a holder that answers
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ path: name, exclusive: true }, () => resolve());
    });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    throw await refusal(root, name, 'socket');
  }
  let folder: Awaited<ReturnType<typeof lockFolder>>;
  try {
    folder = await lockFolder(root);
  } catch (e) {
    await close();
    throw e;
  }
  if (folder === 'held') {
    await close();
    throw await refusal(root, name, 'folder');
  }
  let released = false;
  return {
    info,
    async release() {
      if (released) return;
      released = true;
      await folder?.release();
      await close();
    },
  };
}

/** The refusal of a second glr: it names the holder when the holder answers on the socket. */
async function refusal(root: string, name: string, found: 'folder' | 'socket') {
  const holder = await askHolder(name);
  return refuse(
    holder
      ? `another glr (pid ${holder.pid}, \`glr ${holder.command}\`, since ${holder.since}) is working on ${root}; wait for it, or stop it`
      : found === 'folder'
        ? `another glr is working on ${root} (it holds the lock on that folder, from another network namespace or container: it cannot be named from here); wait for it, or stop it`
        : `another glr is working on ${root}; wait for it, or stop it`,
    { holder },
  );
}

/** What `lockHolder` says of a holder that did not say who it is in time. */
interface UnknownHolder {
  pid: null;
  since: null;
  host: null;
  command: null;
}

/**
 * Who holds the root's lock, without taking it (for `glr status`): the holder's answer on the
 * socket; an `UnknownHolder` when it does not answer within two seconds, or when nothing answers
 * but the root folder is locked (a holder in another network namespace); null when nobody holds it.
 */
export async function lockHolder(root: string): Promise<LockInfo | UnknownHolder | null> {
  const answer = await askSocket(await socketName(root));
  if (answer !== null) return answer;
  return (await folderLocked(root)) ? { pid: null, since: null, host: null, command: null } : null;
}

/**
 * The one reading of the holder's socket: what the holder says (LockInfo), an UnknownHolder when
 * something holds the socket but does not say who it is within two seconds, null when nothing
 * listens there.
 */
function askSocket(name: string): Promise<LockInfo | UnknownHolder | null> {
  return new Promise((resolve) => {
    let data = '';
    let connected = false;
    const socket = net.connect({ path: name });
    const done = (v: LockInfo | UnknownHolder | null) => {
      socket.destroy();
      resolve(v);
    };
    const unknown: UnknownHolder = { pid: null, since: null, host: null, command: null };
    socket.setTimeout(2000, () => done(connected ? unknown : null));
    socket.on('connect', () => (connected = true));
    socket.on('data', (d) => (data += d.toString('utf8')));
    socket.on('end', () => {
      try {
        done(JSON.parse(data) as LockInfo);
      } catch {
        done(unknown);
      }
    });
    socket.on('error', () => done(connected ? unknown : null));
  });
}

/** The holder as it names itself; null when it does not (a refusal then says so without a name). */
async function askHolder(name: string): Promise<LockInfo | null> {
  const answer = await askSocket(name);
  return answer?.pid ? answer : null;
}
