/**
 * glr in a mount namespace of its own, where a test can make a folder read-only at any moment
 * (a disk that refuses writes) without the rest of the machine seeing it: the node, the test and
 * other tests keep writing there. As root: `unshare --mount`; otherwise the same inside a user
 * namespace (`unshare --map-root-user`), entered alike.
 */
import { execFileSync } from 'node:child_process';
import { startGlr, type GlrRun } from './glr.js';

const root = process.getuid?.() === 0;

export interface PrivateGlr {
  /** glr's pid (unshare, and the shell that mounts a folder read-only first, exec it in place) */
  pid: number;
  stderr(): string;
  done: Promise<GlrRun>;
  /** from now on, `dir` is read-only for glr (and whatever it starts): EROFS on every write */
  readOnly(dir: string): void;
}

/** `readOnly`: a folder read-only for glr from before it starts */
export function startGlrWithOwnMounts(args: string[], env: Record<string, string> = {}, o: { readOnly?: string } = {}): PrivateGlr {
  const unshare = ['unshare', ...(root ? [] : ['--map-root-user']), '--mount', '--propagation', 'private', '--'];
  // the shell only runs a fixed script: the folder and glr's argv are its arguments
  const mountFirst = o.readOnly ? ['/bin/sh', '-c', 'mount --bind -o ro "$0" "$0" && exec "$@"', o.readOnly] : [];
  const { child, stderr, done } = startGlr(args, { prefix: [...unshare, ...mountFirst], env });
  const pid = child.pid!;
  return {
    pid,
    stderr,
    done,
    readOnly(dir) {
      const enter = ['-t', String(pid), ...(root ? [] : ['--user', '--preserve-credentials']), '--mount', '--'];
      execFileSync('nsenter', [...enter, 'mount', '--bind', '-o', 'ro', dir, dir], { stdio: 'pipe' });
    },
  };
}
