import { closeSync, fstatSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa, type Options } from 'execa';

export interface RunResult {
  /** null when the program could not be run to an exit (see `failure`) */
  exitCode: number | null;
  /** stdout and stderr interleaved, trimmed */
  output: string;
  /** why it did not run to an exit code: not found, timed out, killed by a signal */
  failure: string | null;
}

/**
 * Runs an argv list, never through a shell (nothing from the file is interpolated anywhere).
 * Does not throw: the caller decides what a failure means.
 *
 * Output goes to a private temporary file rather than a pipe: a service manager's start command
 * may leave a daemon behind that inherits its stdout, and a pipe would then never close. The file
 * is unlinked as soon as it is open (the child writes through the descriptor it inherits), so a
 * glr killed with SIGKILL in the middle leaves nothing behind in the temporary folder.
 */
export async function run(
  argv: readonly string[],
  opts: { timeoutMs: number; cwd?: string; signal?: AbortSignal; env?: Record<string, string>; uid?: number; gid?: number },
): Promise<RunResult> {
  const [file, ...args] = argv;
  if (!file) return { exitCode: null, output: '', failure: 'empty command' };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'glr-run-'));
  let fd: number;
  try {
    fd = openSync(path.join(dir, 'output'), 'a+', 0o600);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  try {
    const options: Options = {
      reject: false,
      stdin: 'ignore',
      // execa passes a numeric fd straight to the child; its types only list small literals
      stdout: fd as 3,
      stderr: fd as 3,
      timeout: opts.timeoutMs,
      killSignal: 'SIGKILL',
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
      ...(opts.env ? { env: opts.env } : {}),
      ...(opts.signal ? { cancelSignal: opts.signal } : {}),
      // as another user (the node's): its output file was opened here, so it needs no access to it
      ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
      ...(opts.gid !== undefined ? { gid: opts.gid } : {}),
    };
    const r = await execa(file, args, options);
    const output = readAll(fd).trim();
    let failure: string | null = null;
    if (r.timedOut) failure = `timed out after ${Math.round(opts.timeoutMs / 1000)} s`;
    else if (r.isCanceled) failure = 'cancelled';
    else if (r.exitCode === undefined) {
      const code = (r as { code?: string }).code;
      failure = r.signal
        ? `killed by ${r.signal}`
        : code === 'ENOENT'
          ? `${file}: command not found`
          : code === 'EACCES'
            ? `${file}: permission denied`
            : (r.shortMessage ?? 'could not run');
    }
    return { exitCode: failure ? null : (r.exitCode ?? null), output, failure: failure ?? null };
  } finally {
    closeSync(fd);
  }
}

/** The whole file behind `fd` from its start (the child's writes moved the shared offset to its end). */
function readAll(fd: number): string {
  const buf = Buffer.allocUnsafe(fstatSync(fd).size);
  let n = 0;
  while (n < buf.length) {
    const got = readSync(fd, buf, n, buf.length - n, n);
    if (got === 0) break;
    n += got;
  }
  return buf.toString('utf8', 0, n);
}
