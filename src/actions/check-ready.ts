import { lstat, readFile } from 'node:fs/promises';
import path from 'node:path';
import { envNamesSet } from '../genlayer/env-file.js';
import { checkBackends, parseBackends } from '../genlayer/llm-config.js';
import { refuse } from '../errors.js';
import type { ApplyContext } from './context.js';

/**
 * The last check before a folder is marked prepared: what the node will need at start is there.
 * GenVM switches off every backend whose key is empty and crash-loops with none left, so at
 * least one enabled backend must have its key set in the carried .env (checked by name only).
 */
export async function checkReady(ctx: ApplyContext, version: string, links: string[]): Promise<void> {
  const dir = ctx.layout.versionDir(version);
  const missing: string[] = [];
  for (const name of links) {
    if (!(await lstat(path.join(dir, name)).catch(() => null))) missing.push(name);
  }
  if (missing.length) {
    throw refuse(`${version} has no ${missing.join(', ')}; the links would dangle after the switch. Is this a GenLayer node release?`);
  }
  const backends = parseBackends(await readFile(ctx.layout.llmConfig(dir), 'utf8').catch(() => ''), `${version}'s GenVM LLM config`);
  const envNames = envNamesSet(await readFile(ctx.layout.env(dir), 'utf8'));
  const problems = checkBackends(version, backends, {}, envNames);
  if (problems.length) throw refuse(problems[0]!);
}
