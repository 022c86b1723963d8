import type { Logger } from '../../runtime/logger.js';
import { refuse } from '../../errors.js';

export async function bumpCommand(_argv: string[], _log?: Logger | string, _cwd?: string): Promise<number> {
  throw refuse('glr bump is not available yet');
}
