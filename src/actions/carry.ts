import { chmod, mkdir, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { refuse } from '../errors.js';
import { atomicWriteFile, isNotFound } from '../runtime/fsx.js';
import type { ApplyContext } from './context.js';

/**
 * Carries what makes the node this validator from the running version to the new one:
 * config.yaml and .env byte for byte (.env 600), and the keystore (files 600, folder 700).
 * Every file is created with its final mode from the first instant (never wider, not even for a
 * moment) and written whole before it gets its name.
 */
export async function carry(ctx: ApplyContext, from: string, version: string): Promise<void> {
  const { layout } = ctx;
  const src = layout.versionDir(from);
  const dst = layout.versionDir(version);
  const config = await readSource(layout.configYaml(src), 'configs/node/config.yaml', from);
  const env = await readSource(layout.env(src), '.env', from);
  const configMode = (await stat(layout.configYaml(src))).mode & 0o777;

  await mkdir(path.dirname(layout.configYaml(dst)), { recursive: true, mode: 0o755 });
  await atomicWriteFile(layout.configYaml(dst), config, configMode & 0o644 ? configMode : 0o644);
  await atomicWriteFile(layout.env(dst), env, 0o600);
  await copyKeystore(layout.keystore(src), layout.keystore(dst), from);
}

async function copyKeystore(src: string, dst: string, from: string): Promise<void> {
  let entries;
  try {
    entries = await readdir(src, { withFileTypes: true });
  } catch (e) {
    if (isNotFound(e)) throw refuse(`${from} has no keystore (data/node/keystore); restore it from your backup first`);
    throw e;
  }
  await mkdir(path.dirname(dst), { recursive: true, mode: 0o755 });
  await mkdir(dst, { recursive: true, mode: 0o700 });
  await chmod(dst, 0o700);
  let files = 0;
  for (const e of entries) {
    if (e.isDirectory()) {
      await copyKeystore(path.join(src, e.name), path.join(dst, e.name), from);
    } else if (e.isFile()) {
      await atomicWriteFile(path.join(dst, e.name), await readFile(path.join(src, e.name)), 0o600);
      files++;
    }
  }
  if (files === 0 && entries.length === 0) throw refuse(`${from}'s keystore is empty; restore it from your backup first`);
}

async function readSource(file: string, name: string, from: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (e) {
    if (isNotFound(e)) throw refuse(`${from} has no ${name} to carry over; restore it from your backup first`);
    throw e;
  }
}
