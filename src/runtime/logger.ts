import { destination, pino, stdTimeFunctions, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

/**
 * Logs go to stderr: JSON lines when stderr is not a terminal (journald, CI, tests), readable
 * lines when it is. Synchronous, so that the last lines before an exit are never lost.
 * Level from GLR_LOG_LEVEL (default info).
 */
export function createLogger(level = process.env.GLR_LOG_LEVEL ?? 'info'): Logger {
  const options = { level, base: { pid: process.pid }, timestamp: stdTimeFunctions.isoTime };
  if (process.stderr.isTTY) {
    return pino(options, pretty({ destination: 2, sync: true, colorize: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l' }));
  }
  return pino(options, destination({ fd: 2, sync: true }));
}
