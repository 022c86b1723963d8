import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { LlmStrategy } from '../desired/types.js';
import { refuse } from '../errors.js';
import { parseBackends } from '../genlayer/llm-config.js';
import { LLM_RELEASE_FILE, luaScriptName, withStrategy } from '../genlayer/llm-strategy.js';
import { atomicWriteFile, isNotFound, lstatOrNull } from '../runtime/fsx.js';
import type { ApplyContext } from './context.js';

/**
 * GenLayer's procedure for the LLM module of a v0.5.7+ release: its genvm-modules-llm-release.yaml
 * (every backend) copied over genvm-module-llm.yaml, `lua_script_path` on the strategy's script
 * (set-llm then enables the operator's providers). A release without the file keeps its own.
 */
export async function llmRelease(ctx: ApplyContext, version: string, strategy: LlmStrategy | null): Promise<void> {
  const config = ctx.layout.llmConfig(ctx.layout.versionDir(version));
  const folder = path.dirname(config);
  let text: string;
  try {
    text = await readFile(path.join(folder, LLM_RELEASE_FILE), 'utf8');
  } catch (e) {
    if (!isNotFound(e)) throw e;
    if (strategy === 'greybox') {
      throw refuse(
        `${version} ships no third_party/genvm/config/${LLM_RELEASE_FILE}: the greybox LLM strategy came with v0.5.7 (that file and ${luaScriptName('greybox')}); set llm.strategy: default, or switch to v0.5.7 or later`,
      );
    }
    ctx.log.info({ version }, `${version} ships no ${LLM_RELEASE_FILE}: its genvm-module-llm.yaml is kept as shipped`);
    return;
  }
  if (strategy === null) {
    throw refuse(
      `${version} ships ${LLM_RELEASE_FILE} and the LLM strategy to give it cannot be told: the running version's lua_script_path names neither ${luaScriptName('default')} nor ${luaScriptName('greybox')}; set llm.strategy: default or greybox`,
    );
  }
  if (!(await lstatOrNull(path.join(folder, luaScriptName(strategy))))) {
    throw refuse(
      `${version} ships ${LLM_RELEASE_FILE} but no ${luaScriptName(strategy)}: it has no ${strategy} LLM strategy; set llm.strategy to the other one`,
    );
  }
  const label = `${version}'s ${LLM_RELEASE_FILE}`;
  parseBackends(text, label);
  const st = await lstatOrNull(config);
  await atomicWriteFile(config, withStrategy(text, strategy, label), (st?.mode ?? 0o644) & 0o777, st ?? undefined);
  ctx.log.info({ version, strategy }, `${LLM_RELEASE_FILE} installed as genvm-module-llm.yaml with the ${strategy} strategy`);
}
