import { destination, levels, pino, stdTimeFunctions, type Logger } from 'pino';
import { refuse } from '../errors.js';

export type { Logger };

/**
 * Logs go to stderr: JSON lines when stderr is not a terminal (journald, CI, tests), readable
 * lines when it is (pino-pretty, loaded only then). Synchronous, so that the last lines before
 * an exit are never lost. Level from GLR_LOG_LEVEL (default info).
 */
export async function createLogger(level = process.env.GLR_LOG_LEVEL?.trim() || 'info'): Promise<Logger> {
  if (!(level in levels.values) && level !== 'silent') {
    throw refuse(`GLR_LOG_LEVEL=${JSON.stringify(level)}: must be one of ${Object.keys(levels.values).join(', ')} or silent`);
  }
  const options = { level, base: { pid: process.pid }, timestamp: stdTimeFunctions.isoTime };
  if (process.stderr.isTTY) {
    const { default: pretty } = await import('pino-pretty');
    return pino(options, pretty({ destination: 2, sync: true, colorize: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l' }));
  }
  return pino(options, destination({ fd: 2, sync: true }));
}
