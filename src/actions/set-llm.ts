import { copyFile, mkdir, readFile, stat } from 'node:fs/promises';
import { editProviders } from '../genlayer/llm-config.js';
import { refuse } from '../errors.js';
import { atomicWriteFile, isNotFound } from '../runtime/fsx.js';
import type { ApplyContext } from './context.js';

/**
 * Sets `backends.<provider>.enabled` in the version's GenVM LLM config, with a YAML-aware edit
 * that keeps comments, order and every other value. With `keepPrevious` (a running version),
 * the file as it was is saved first, so that a failed restart can put it back.
 */
export async function setLlm(ctx: ApplyContext, version: string, providers: Record<string, boolean>, keepPrevious: boolean): Promise<void> {
  const file = ctx.layout.llmConfig(ctx.layout.versionDir(version));
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if (isNotFound(e)) throw refuse(`${version} has no GenVM LLM config (third_party/genvm/config/genvm-module-llm.yaml)`);
    throw e;
  }
  const edit = editProviders(text, providers, `${version}'s GenVM LLM config`);
  if (edit.unknown.length) {
    throw refuse(
      `llm.providers names ${edit.unknown.join(', ')}, which ${version}'s GenVM config does not have (it has ${edit.has.join(', ')}); fix llm.providers in the file`,
    );
  }
  if (edit.changed.length === 0) return;
  if (keepPrevious) {
    await mkdir(ctx.layout.backupsDir, { recursive: true, mode: 0o700 });
    await copyFile(file, ctx.layout.llmBackup(version));
  }
  const st = await stat(file);
  await atomicWriteFile(file, edit.text, st.mode & 0o777, st);
  ctx.log.info({ version, changed: edit.changed }, 'LLM providers set');
}

export async function restoreLlm(ctx: ApplyContext, version: string): Promise<void> {
  const file = ctx.layout.llmConfig(ctx.layout.versionDir(version));
  const previous = await readFile(ctx.layout.llmBackup(version));
  const st = await stat(file);
  await atomicWriteFile(file, previous, st.mode & 0o777, st);
}
