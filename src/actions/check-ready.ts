import { lstat, readFile } from 'node:fs/promises';
import path from 'node:path';
import { checkBackends, readLlmConfig } from '../genlayer/llm-config.js';
import { configDrift, driftWarnings } from '../genlayer/node-config.js';
import { greyboxProblems, idleKeyWarnings, strategyOf } from '../genlayer/llm-strategy.js';
import { refuse } from '../errors.js';
import { RUNBOOK_LINKS } from '../layout.js';
import type { NodeEnvFile } from '../observe/types.js';
import type { ApplyContext } from './context.js';
import { nodeEnvironment } from './dotenv.js';

/** What GenVM's setup leaves when it finished (GenLayer: their absence means it failed). */
const GENVM_BINARIES = ['third_party/genvm/bin/genvm', 'third_party/genvm/bin/genvm-modules'];

/**
 * The last check before a folder is marked prepared: what the node will need at start is there.
 * GenVM's setup left its binaries; GenVM switches off every backend whose key is empty and
 * crash-loops with none left, so at least one enabled backend must have its key set in the
 * node's environment files as the new version gets them (checked by name only), and the greybox strategy needs OPENROUTERKEY and the
 * openrouter backend on. Keys set for backends that are off are warned about.
 */
export async function checkReady(ctx: ApplyContext, version: string, links: string[], env: readonly NodeEnvFile[]): Promise<void> {
  const dir = ctx.layout.versionDir(version);
  const absent = async (names: string[]) => {
    const out: string[] = [];
    for (const name of names) if (!(await lstat(path.join(dir, name)).catch(() => null))) out.push(name);
    return out;
  };
  const noGenvm = await absent(GENVM_BINARIES);
  if (noGenvm.length) {
    throw refuse(
      `GenVM setup of ${version} finished but left no ${noGenvm.join(' and no ')}: it did not complete (it needs python3 with venv; run it by hand in ${dir} to see why); nothing was switched`,
    );
  }
  const missing = await absent(links);
  const core = missing.filter((n) => (RUNBOOK_LINKS as readonly string[]).includes(n));
  if (core.length) {
    throw refuse(`${version} has no ${core.join(', ')}; the links would dangle after the switch. Is this a GenLayer node release?`);
  }
  if (missing.length) {
    const rm = missing.map((n) => ctx.layout.link(n)).join(' ');
    throw refuse(
      `${version} does not ship ${missing.join(', ')}, which the root links into the running version: after the switch ${missing.length > 1 ? 'they' : 'it'} would dangle. If the release dropped ${missing.length > 1 ? 'them' : 'it'}, remove the link${missing.length > 1 ? 's' : ''} (rm ${rm}) and run glr again`,
    );
  }
  const text = await readFile(ctx.layout.llmConfig(dir), 'utf8').catch(() => '');
  const { backends, luaScriptPath } = readLlmConfig(text, `${version}'s GenVM LLM config`);
  const node = await nodeEnvironment(ctx, version, env);
  const files = env.map((f) => ('inVersion' in f ? f.inVersion : f.path));
  const where = { files: files.join(', ') || 'no environment file', of: (n: string) => node.at[n] ?? '?' };
  const problems = checkBackends(version, backends, {}, node.names, where);
  if (strategyOf(luaScriptPath) === 'greybox') problems.push(...greyboxProblems(version, node.names, backends.openrouter?.enabled === false, where));
  if (problems.length) throw refuse(problems[0]!);
  for (const w of idleKeyWarnings(version, backends, node.names, where)) ctx.log.warn({ version }, w);
  for (const w of await releaseConfigDrift(ctx, dir, version)) ctx.log.warn({ version }, w);
}

/** The installed config.yaml against the release's config.yaml.example (when it ships one): key paths only. */
async function releaseConfigDrift(ctx: ApplyContext, dir: string, version: string): Promise<string[]> {
  const [example, config] = await Promise.all([
    readFile(path.join(dir, 'configs/node/config.yaml.example'), 'utf8').catch(() => null),
    readFile(ctx.layout.configYaml(dir), 'utf8').catch(() => null),
  ]);
  const drift = example !== null && config !== null ? configDrift(example, config) : null;
  return drift ? driftWarnings(version, drift) : [];
}
