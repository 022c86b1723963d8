import path from 'node:path';
import { refuse } from '../errors.js';
import { parseNodeVersion, type ReleaseIdentity } from '../genlayer/node-version.js';
import { clip } from '../runtime/text.js';
import type { ApplyContext } from './context.js';
import { runScrubbed } from './scrubbed-run.js';

/** `genlayernode version` prints a few lines and exits: anything slower is not an answer */
const VERSION_TIMEOUT_MS = 30_000;

/**
 * The release's own word on what it is, before anything is stopped: `bin/genlayernode version`
 * in its folder must name `version`. A release that names another (a literal version in
 * `release.url`, a bad mirror) is refused: it would run on the shared DB as something else. A
 * binary that cannot say (no such command, no `Version:` line) is logged as a warning and the
 * switch goes on: the health check after the start still requires `node_version` = `version`.
 */
export async function checkVersion(ctx: ApplyContext, version: string): Promise<ReleaseIdentity | null> {
  const dir = ctx.layout.versionDir(version);
  const bin = path.join(dir, 'bin/genlayernode');
  const r = await runScrubbed(
    ctx,
    [bin, 'version'],
    { timeoutMs: VERSION_TIMEOUT_MS, cwd: dir, signal: ctx.signals.signal, secrets: ctx.secrets },
    ({ exitCode, output }) => ctx.log.debug({ version, exitCode, output }, `genlayernode version of ${version}`),
  );
  const said = r.failed === null ? parseNodeVersion(r.output) : null;
  if (said?.version && said.version !== version) {
    throw refuse(
      `the release prepared as ${version} says it is ${said.version} (${bin} version: Version ${said.version}${said.protocol ? `, Protocol ${said.protocol}` : ''}): release.url gave another release (a version written into the URL, or a bad mirror); nothing was stopped`,
    );
  }
  if (!said?.version) {
    const why = r.failed !== null ? `it ${r.failed}${r.last ? `: ${clip(r.last, 120)}` : ''}` : 'it printed no Version: line';
    ctx.log.warn({ version }, `${bin} version cannot say which version it is (${why}); going on: the health check after the start still requires ${version}`);
    return null;
  }
  ctx.log.info({ version, protocol: said.protocol }, `${version}'s binary says Version ${said.version}, Protocol ${said.protocol ?? '(none)'}`);
  return said;
}
