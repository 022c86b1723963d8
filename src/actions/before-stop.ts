import path from 'node:path';
import { refuse } from '../errors.js';
import { clip, tail } from '../runtime/text.js';
import type { ApplyContext } from './context.js';
import type { NodeEnvFile } from '../observe/types.js';
import { nodeEnvironment } from './dotenv.js';
import { hookEnv, runHooks } from './run-hooks.js';
import { runScrubbed } from './scrubbed-run.js';

/**
 * What runs last before the stop, in the new version's folder with the node's environment files
 * exported (as GenLayer's procedure does with `set -a; . ./.env`): its `genlayernode doctor` (as
 * the node's user, who must be able to read what the node reads) and the operator's
 * hooks.preSwitch. Either refuses the switch (exit 1) with nothing stopped.
 */

/**
 * `bin/genlayernode doctor` exits 0 even when a check fails: failures are its lines starting
 * with ✗. A non-zero exit or any ✗ line refuses, naming the ✗ lines (scrubbed).
 */
export async function doctor(
  ctx: ApplyContext,
  s: { version: string; network: string | null; env: readonly NodeEnvFile[]; runAs: { uid: number; gid: number } | null },
): Promise<void> {
  const { version } = s;
  const dir = ctx.layout.versionDir(version);
  const env = await nodeEnvironment(ctx, version, s.env);
  const r = await runScrubbed(
    ctx,
    [path.join(dir, 'bin/genlayernode'), 'doctor', ...(s.network ? ['--network', s.network] : [])],
    { timeoutMs: ctx.tuning.hookTimeoutMs, cwd: dir, env: env.vars, signal: ctx.signals.signal, secrets: env.secrets, ...(s.runAs ?? {}) },
    ({ exitCode, output }) => ctx.log.info({ version, exitCode, output: tail(output, 40) }, `genlayernode doctor of ${version}`),
  );
  if (r.failed !== null) throw refuse(`genlayernode doctor of ${version} ${r.failed}${r.last ? `: ${clip(r.last)}` : ''}; nothing was stopped`);
  const failed = r.output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('✗'));
  if (failed.length) {
    throw refuse(`genlayernode doctor of ${version} reports ${failed.map((l) => clip(l, 200)).join('; ')}; fix it and run glr again (nothing was stopped)`);
  }
}

/** hooks.preSwitch: the first failure refuses the switch. */
export async function preSwitch(ctx: ApplyContext, version: string, from: string, hooks: string[][], nodeEnv: readonly NodeEnvFile[]): Promise<void> {
  const env = await nodeEnvironment(ctx, version, nodeEnv);
  const { failures } = await runHooks(ctx, hooks, {
    name: 'hooks.preSwitch',
    cwd: ctx.layout.versionDir(version),
    env: { ...env.vars, ...hookEnv(ctx, version, from) },
    secrets: env.secrets,
    stopAtFailure: true,
    signal: ctx.signals.signal,
  });
  if (failures.length) throw refuse(`${failures[0]}; the switch to ${version} is refused (nothing was stopped)`);
}
