import type { Logger } from '../../runtime/logger.js';
import { refuse } from '../../errors.js';

export async function releasesCommand(_argv: string[], _log?: Logger | string, _cwd?: string): Promise<number> {
  throw refuse('glr releases is not available yet');
}
