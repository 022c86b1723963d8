/** Small text helpers for messages and logs. */

/** One line, cut short: text glr did not write (a node's answer, a command's output) in a message. */
export function clip(s: string, n = 160): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > n ? `${one.slice(0, n - 3)}...` : one;
}

/** The last `n` non-empty lines of a text, for error accounts. */
export function tail(text: string, n: number): string {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  return lines.slice(-n).join('\n');
}

/** 1.5 GiB, 300 MiB, 12 KiB: sizes as an operator reads them. */
export function size(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} bytes` : `${v >= 10 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

/**
 * An error that is not glr's own as the end of one line: its code (an errno, zlib's, tar's) and
 * its message, clipped, the code not said twice (Node's fs messages begin with it).
 */
export function codeAndMessage(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const message = clip(err?.message ?? String(e));
  return err?.code && !message.startsWith(err.code) ? `${err.code} ${message}` : message;
}

/** What an errno means to an operator reading one line. */
export function errnoText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a folder';
    case 'ENOTDIR':
      return 'a part of the path is not a folder';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EROFS':
      return 'read-only file system';
    case 'EEXIST':
      return 'already exists';
    case 'EDQUOT':
      return 'disk quota exceeded';
    case 'EIO':
      return 'I/O error';
    default:
      return code ?? clip(e instanceof Error ? e.message : String(e));
  }
}

/**
 * What a log line says of an error: the host refusing a file operation (an errno with a path) as
 * one line, which is all there is to it; anything else as it is (a bug keeps its stack).
 */
export function loggable(e: unknown): unknown {
  const err = e as NodeJS.ErrnoException;
  return err?.code && err.syscall ? `${err.path ? `${err.path}: ` : ''}${errnoText(e)}` : e;
}
