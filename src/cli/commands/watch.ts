import type { Logger } from '../../runtime/logger.js';
import { refuse } from '../../errors.js';

export async function watchCommand(_argv: string[], _log?: Logger | string, _cwd?: string): Promise<number> {
  throw refuse('glr watch is not available yet');
}
