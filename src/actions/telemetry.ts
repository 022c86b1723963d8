import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { composeOrigin, inspectContainer, recreateService, restartContainer } from '../runtime/docker.js';
import { readTelemetry, type TelemetryReading } from '../runtime/telemetry.js';
import type { ApplyContext } from './context.js';

const POLL_MS = 500;

/**
 * After a change of the running version, once the node is up: Alloy must read the running
 * version's node.log (GenLayer's sharp edge `alloy-stale-bind-mount`: its bind mount resolved
 * through the root's links when it started, and still shows the old version's file). Stale (or
 * stopped): restarted, which resolves the mount again; recreated from its compose file instead
 * when it came from the root's compose project and the release's docker-compose.yaml or .env
 * changed between the two versions (a restart keeps the old ones). Then looked at again until it
 * is fresh or GLR_TELEMETRY_SETTLE_SECONDS passed. What was wrong is reported, never a rollback.
 */
export async function checkTelemetry(
  ctx: ApplyContext,
  s: { container: string; logPath: string; leaving: string; entering: string },
  running: string,
): Promise<{ reading: TelemetryReading; reported: string[] }> {
  const hostLog = ctx.layout.nodeLog(ctx.layout.root);
  const first = await readTelemetry(s.container, s.logPath, hostLog);
  if (first.state === 'fresh') {
    ctx.log.info({ container: s.container }, `${s.container} reads ${running}'s node.log`);
    return { reading: first, reported: [] };
  }
  const c = await inspectContainer(s.container);
  if (!c.ok)
    return {
      reading: first,
      reported: [`telemetry cannot be checked: ${first.detail}; GenLayer's monitoring sees this validator only through ${s.container}`],
    };
  ctx.log.warn({ container: s.container, detail: first.detail }, `${s.container} does not read ${running}'s node.log`);

  const origin = composeOrigin(c.info.labels);
  const recreate = origin !== null && (await sameFolder(origin.workingDir, ctx.layout.root)) && (await releaseChanged(ctx, s.leaving, s.entering));
  const how = recreate
    ? `recreated from ${path.join(origin.workingDir, 'docker-compose.yaml')} (the release's docker-compose.yaml or .env changed)`
    : 'restarted';
  const failed = recreate ? await recreateService(origin) : await restartContainer(s.container);
  const was = first.state === 'stale' ? `read a stale node.log (${first.detail})` : `did not read the node's log (${first.detail})`;
  if (failed) return { reading: first, reported: [`telemetry is stale: ${s.container} ${was}, and ${failed}`] };

  let now = first;
  const deadline = Date.now() + ctx.tuning.telemetrySettleMs;
  for (;;) {
    now = await readTelemetry(s.container, s.logPath, hostLog);
    if (now.state === 'fresh' || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  if (now.state === 'fresh') {
    ctx.log.info({ container: s.container, how }, `${s.container} reads ${running}'s node.log again`);
    return { reading: now, reported: [`telemetry: ${s.container} ${was}; ${how}, it reads ${running}'s now`] };
  }
  return {
    reading: now,
    reported: [
      `telemetry is stale: ${s.container} ${was}; ${how}, it still does not (${now.detail}). GenLayer's monitoring sees no logs from this validator and can mark it idle: check the container's mount of ${path.dirname(s.logPath)} (it must be ${path.dirname(hostLog)}, through the links)`,
    ],
  };
}

/** The release's compose file or .env differ between the two version folders (a restart would keep the old ones). */
async function releaseChanged(ctx: ApplyContext, a: string, b: string): Promise<boolean> {
  for (const name of ['docker-compose.yaml', '.env']) {
    const [x, y] = await Promise.all([a, b].map((v) => readFile(path.join(ctx.layout.versionDir(v), name)).catch(() => null)));
    if (x === null || y === null ? x !== y : !x!.equals(y!)) return true;
  }
  return false;
}

async function sameFolder(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([a, b].map((p) => realpath(p).catch(() => p)));
  return x === y;
}
