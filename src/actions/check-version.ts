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
 *
 * `sameDbAs`: the version will run on the DB the running version uses. Its `Protocol:` must then
 * be the running node's (/health `protocol_version`, else what the running version's own binary
 * says): GenLayer calls a new consensus deployment breaking, and its database cannot be reused.
 * Another protocol on the same DB is refused, naming both. A protocol that cannot be told on
 * either side is a warning.
 */
export async function checkVersion(
  ctx: ApplyContext,
  version: string,
  sameDbAs: { version: string; protocol: string | null } | null = null,
): Promise<ReleaseIdentity | null> {
  const { said, failed } = await askRelease(ctx, version);
  const bin = binOf(ctx, version);
  if (said?.version && said.version !== version) {
    throw refuse(
      `the release prepared as ${version} says it is ${said.version} (${bin} version: Version ${said.version}${said.protocol ? `, Protocol ${said.protocol}` : ''}): release.url gave another release (a version written into the URL, or a bad mirror); nothing was stopped`,
    );
  }
  if (!said?.version) {
    ctx.log.warn(
      { version },
      `${bin} version cannot say which version it is (${failed ?? 'it printed no Version: line'}); going on: the health check after the start still requires ${version}`,
    );
  } else ctx.log.info({ version, protocol: said.protocol }, `${version}'s binary says Version ${said.version}, Protocol ${said.protocol ?? '(none)'}`);
  if (sameDbAs) await compareProtocols(ctx, version, said?.protocol ?? null, sameDbAs);
  return said;
}

async function compareProtocols(
  ctx: ApplyContext,
  version: string,
  protocol: string | null,
  running: { version: string; protocol: string | null },
): Promise<void> {
  const theirs = running.protocol ?? (await askRelease(ctx, running.version)).said?.protocol ?? null;
  if (protocol === null || theirs === null) {
    ctx.log.warn(
      { version, protocol, runningProtocol: theirs },
      `cannot compare ${version}'s protocol with ${running.version}'s (${protocol === null ? `${version}'s binary names none` : `${running.version} names none`}): if ${version} comes with a new consensus deployment, give it its own sharedDb`,
    );
    return;
  }
  if (protocol !== theirs) {
    throw refuse(
      `${version} speaks protocol ${protocol} and ${running.version} runs protocol ${theirs}: a new consensus deployment (GenLayer calls it breaking), whose database cannot be reused, and ${version} would share ${running.version}'s. Give ${version} its own \`sharedDb:\` (glr creates it empty and ${version} syncs it from genesis) and its own \`configFile:\`; nothing was stopped`,
    );
  }
  ctx.log.info({ version, protocol }, `${version} speaks ${running.version}'s protocol ${protocol}: it shares its DB`);
}

function binOf(ctx: ApplyContext, version: string): string {
  return path.join(ctx.layout.versionDir(version), 'bin/genlayernode');
}

/** `bin/genlayernode version` of a version folder, parsed; when it does not run to exit 0, how it failed. */
async function askRelease(ctx: ApplyContext, version: string): Promise<{ said: ReleaseIdentity | null; failed: string | null }> {
  const dir = ctx.layout.versionDir(version);
  const r = await runScrubbed(
    ctx,
    [binOf(ctx, version), 'version'],
    { timeoutMs: VERSION_TIMEOUT_MS, cwd: dir, signal: ctx.signals.signal, secrets: ctx.secrets },
    ({ exitCode, output }) => ctx.log.debug({ version, exitCode, output }, `genlayernode version of ${version}`),
  );
  if (r.failed !== null) return { said: null, failed: `it ${r.failed}${r.last ? `: ${clip(r.last, 120)}` : ''}` };
  return { said: parseNodeVersion(r.output), failed: null };
}
