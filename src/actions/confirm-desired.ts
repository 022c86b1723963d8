import { readDesired } from '../desired/load.js';
import type { Desired } from '../desired/types.js';
import { isGlrError, refuse } from '../errors.js';
import type { ApplyContext } from './context.js';

/**
 * The desired file, read again right before the stop: a preparation takes minutes, and the
 * operator may have withdrawn the change meanwhile. When the file, valid, no longer asks for the
 * switch this plan makes (another version, root, shared DB or pinned checksum), it stops there:
 * nothing is stopped, and the next pass plans from the file as it is. A file that cannot be read
 * or validated now is what `glr watch` meets mid-edit: the state this pass read stands (warned).
 */
export async function confirmDesired(
  ctx: ApplyContext,
  step: { file: string; asks: { version: string; root: string; sharedDb: string; sha256: string | null } },
): Promise<void> {
  let now: Desired;
  try {
    const read = await readDesired(step.file);
    if (!read.parsed.ok) {
      ctx.log.warn({ file: step.file }, `${step.file} is not valid now; going on with the state this pass read (${step.asks.version})`);
      return;
    }
    now = read.parsed.desired;
  } catch (e) {
    if (!isGlrError(e)) throw e;
    ctx.log.warn({ file: step.file }, `${e.message}; going on with the state this pass read (${step.asks.version})`);
    return;
  }
  const a = step.asks;
  const changed = [
    now.version !== a.version && `it asks for ${now.version} now`,
    now.root !== a.root && `its root is ${now.root} now`,
    now.sharedDb !== a.sharedDb && `its sharedDb is ${now.sharedDb} now`,
    now.release.sha256 !== a.sha256 && `its release.sha256 is ${now.release.sha256 ?? 'unset'} now`,
  ].filter((x): x is string => typeof x === 'string');
  if (changed.length) {
    throw refuse(`${step.file} no longer asks for ${a.version} (${changed.join('; ')}): the switch is withdrawn and was not made; nothing was stopped`);
  }
}
