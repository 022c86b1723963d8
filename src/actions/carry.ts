import { lstat, mkdir, readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { isGlrError, refuse } from '../errors.js';
import { atomicWriteFile, isNotFound } from '../runtime/fsx.js';
import { codeAndMessage } from '../runtime/text.js';
import type { ApplyContext } from './context.js';
import { copyKeystore } from './keystore.js';

/**
 * Carries what makes the node this validator from the running version to the new one:
 * config.yaml and .env byte for byte (.env 600), any other environment file the node's unit
 * loads from inside the version folder (like .env), and the keystore (files 600, folder 700).
 * `configFile` and `envFile`, when the file names them, are installed instead of the running
 * version's config.yaml and .env.
 * Every file is created with its final mode from the first instant (never wider, not even for a
 * moment) and written whole before it gets its name.
 */
export async function carry(
  ctx: ApplyContext,
  from: string,
  version: string,
  configFile: string | null,
  envFile: string | null = null,
  envFiles: readonly string[] = [],
): Promise<void> {
  const { layout } = ctx;
  const src = layout.versionDir(from);
  const dst = layout.versionDir(version);
  try {
    const configSource = configFile ?? layout.configYaml(src);
    const config = configFile ? await readConfigFile(configFile) : await readSource(layout.configYaml(src), 'configs/node/config.yaml', from);
    const env = envFile ? await readGiven(envFile, 'envFile') : await readSource(layout.env(src), '.env', from);
    const configMode = (await stat(configSource)).mode & 0o777;
    const ensure = await folderCheck(dst, version);

    await ensure(path.dirname(layout.configYaml(dst)), 0o755);
    await atomicWriteFile(layout.configYaml(dst), config, configMode & 0o644 ? configMode : 0o644);
    await atomicWriteFile(layout.env(dst), env, 0o600);
    // the node's other environment files inside the version folder are carried like .env
    for (const rel of envFiles) {
      const data = await readSource(path.join(src, rel), rel, from);
      await ensure(path.dirname(path.join(dst, rel)), 0o755);
      await atomicWriteFile(path.join(dst, rel), data, 0o600);
    }

    const keystore = layout.keystore(dst);
    await ensure(path.dirname(keystore), 0o755);
    const shipped = await readdir(keystore).catch((e: unknown) => (isNotFound(e) ? [] : Promise.reject(e)));
    if (shipped.length) {
      throw refuse(
        `the ${version} release ships its own data/node/keystore (${shipped.length} entr${shipped.length > 1 ? 'ies' : 'y'}); glr never mixes a release's files with the validator's keys: do not install this release, report it to GenLayer`,
      );
    }
    const running = layout.keystore(src);
    const copied = await copyKeystore(running, keystore, (d) => ensure(d, 0o700)).catch((e: unknown) => {
      if (isNotFound(e) && (e as NodeJS.ErrnoException).path === running)
        throw refuse(`${from} has no keystore (data/node/keystore); restore it from your backup first`);
      throw e;
    });
    if (copied === 0) throw refuse(`${from}'s keystore is empty; restore it from your backup first`);
  } catch (e) {
    if (isGlrError(e)) throw e;
    throw refuse(`carrying config.yaml, .env and the keystore from ${from} into ${version} failed: ${codeAndMessage(e)}; nothing was switched`);
  }
}

/**
 * Where the validator's files go must be inside the new version's folder on disk, not just on
 * paper: a release whose `configs` or `data` is a link elsewhere would carry .env, config.yaml
 * and the keystore out of it. Returns `ensure(dir, mode)`: checks the deepest part of `dir` that
 * exists before creating the rest, so that nothing is created outside either.
 */
async function folderCheck(dst: string, version: string): Promise<(dir: string, mode: number) => Promise<void>> {
  const base = await realpath(dst);
  const check = async (p: string) => {
    const real = await realpath(p).catch(() => null);
    if (real === null || (real !== base && !real.startsWith(base + path.sep))) {
      throw refuse(
        `${path.relative(dst, p)} in ${version} leads out of its folder (${real === null ? 'a link to nowhere' : `to ${real}`}); glr carries the validator's .env and keys into the version folder only: do not install this release`,
      );
    }
  };
  return async (dir: string, mode: number) => {
    let existing = dir;
    while (existing !== dst && !(await lstat(existing).catch(() => null))) existing = path.dirname(existing);
    await check(existing);
    await mkdir(dir, { recursive: true, mode });
    await check(dir);
  };
}

/**
 * `configFile` installed over a prepared version's config.yaml (it changed since the folder was
 * prepared), byte for byte, with the file's mode (as a carried config keeps its own).
 */
export async function installConfig(ctx: ApplyContext, version: string, file: string): Promise<void> {
  const dst = ctx.layout.versionDir(version);
  const ensure = await folderCheck(dst, version);
  const target = ctx.layout.configYaml(dst);
  await ensure(path.dirname(target), 0o755);
  const mode = (await stat(file)).mode & 0o777;
  // the config.yaml it replaces belongs to the node's user (a folder glr gave to it): so does this one
  const owner = await stat(target).catch(() => undefined);
  await atomicWriteFile(target, await readConfigFile(file), mode & 0o644 ? mode : 0o644, owner);
  ctx.log.info({ version, configFile: file }, `installed ${file} as ${version}'s config.yaml`);
}

async function readConfigFile(file: string): Promise<Buffer> {
  return readGiven(file, 'configFile');
}

/** A file the desired state names to install (configFile, envFile), byte for byte. */
async function readGiven(file: string, field: 'configFile' | 'envFile'): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (e) {
    throw refuse(`${field} ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? String(e)}); nothing was switched`);
  }
}

async function readSource(file: string, name: string, from: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (e) {
    if (isNotFound(e)) throw refuse(`${from} has no ${name} to carry over; restore it from your backup first`);
    throw e;
  }
}
