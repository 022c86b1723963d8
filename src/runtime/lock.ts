import { createHash } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { refuse } from '../errors.js';

/**
 * One glr at a time per root. The lock is a Linux abstract-namespace Unix socket named after
 * the root's real path: the kernel holds it exactly as long as the holder lives, so a holder
 * killed by SIGKILL or a power loss frees it at once, and a live holder's lock can never be
 * taken (no stale-file heuristics, nothing to delete). Taking it writes nothing under the root;
 * the holder answers on the socket with who it is, so a second glr can name it.
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
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ path: name, exclusive: true }, () => resolve());
    });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    const holder = await askHolder(name);
    throw refuse(
      holder
        ? `another glr (pid ${holder.pid}, \`glr ${holder.command}\`, since ${holder.since}) is working on ${root}; wait for it, or stop it`
        : `another glr is working on ${root}; wait for it, or stop it`,
      { holder },
    );
  }
  let released = false;
  return {
    info,
    async release() {
      if (released) return;
      released = true;
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
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
 * socket, or null when nobody holds it (nothing listens). A holder that does not answer within
 * two seconds is reported as an `UnknownHolder`.
 */
export async function lockHolder(root: string): Promise<LockInfo | UnknownHolder | null> {
  const name = await socketName(root);
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

function askHolder(name: string): Promise<LockInfo | null> {
  return new Promise((resolve) => {
    let data = '';
    const socket = net.connect({ path: name });
    const done = (v: LockInfo | null) => {
      socket.destroy();
      resolve(v);
    };
    socket.setTimeout(2000, () => done(null));
    socket.on('data', (d) => (data += d.toString('utf8')));
    socket.on('end', () => {
      try {
        done(JSON.parse(data) as LockInfo);
      } catch {
        done(null);
      }
    });
    socket.on('error', () => done(null));
  });
}
