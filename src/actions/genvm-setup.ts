import { refuse } from '../errors.js';
import { lowPriorityArgv } from '../runtime/priority.js';
import { tail } from '../runtime/text.js';
import type { ApplyContext } from './context.js';
import { runScrubbed } from './scrubbed-run.js';

/**
 * GenVM's setup, the slow part of a preparation (minutes on a real host), run in the new version
 * folder while the old node keeps validating. An argv list: no shell. At low priority while the
 * preparation is (src/runtime/priority.ts): inherited from glr's threads, or, when glr cannot
 * lower its own, through a `nice`/`ionice` prefix.
 */
export async function genvmSetup(ctx: ApplyContext, version: string, argv: string[]): Promise<void> {
  const started = Date.now();
  const r = await runScrubbed(
    ctx,
    lowPriorityArgv(argv),
    { timeoutMs: ctx.tuning.setupTimeoutMs, cwd: ctx.layout.versionDir(version), signal: ctx.signals.signal, secrets: ctx.secrets, exitWord: 'exit' },
    ({ output }) => {
      if (output) ctx.log.info({ version, output: tail(output, 40) }, 'GenVM setup output');
    },
  );
  if (r.failed !== null) throw refuse(`GenVM setup for ${version} failed (${r.failed})${r.last ? `: ${r.last}` : ''}; nothing was switched`);
  ctx.log.info({ version, ms: Date.now() - started }, 'GenVM setup done');
}
