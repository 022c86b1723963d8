import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import type { Desired } from '../desired/types.js';
import { envNamesSet, envSecretValues, envVariables, isSecretValue } from '../genlayer/env-file.js';
import { run } from '../runtime/exec.js';
import { isNotFound } from '../runtime/fsx.js';
import type { UnitFacts } from '../runtime/service.js';
import { errnoText } from '../runtime/text.js';
import { UNIT_ENVIRONMENT, type EnvFile, type NodeUnit } from './types.js';

/**
 * The node's environment as its service gives it: the unit's User, Group, EnvironmentFile= and
 * ExecStart (systemd, from the `systemctl show` that reads the state), or the file's
 * `service.user`, `service.group`, `service.environmentFiles` (manager command). Each environment
 * file is read once: its names go into `Observed`, its values apart, frozen (scrubbing, and the
 * environment of GenLayer's own commands), never into anything printed.
 */

/** What one read of the environment files gives besides `NodeUnit`: values, kept apart. */
export interface UnitSecrets {
  /** every value of every file, and a password written on ExecStart */
  secrets: string[];
  /** the variables of the files outside the running version's folder, by path */
  values: Map<string, Record<string, string>>;
}

/**
 * `facts`: what systemd said (null with manager command). `running`: the version folder the
 * links name, where `.env` and other files inside it are carried from; `runningEnv`: its `.env`
 * as observe already read it (not read twice).
 */
export async function observeNodeUnit(
  d: Desired,
  facts: UnitFacts | null,
  running: string | null,
  runningEnv: { file: string; text: string | null } | null,
): Promise<{ unit: NodeUnit; apart: UnitSecrets }> {
  const told = facts ?? d.runAs ?? { user: null, group: null, environmentFiles: null };
  const listed = told.environmentFiles ?? [{ path: d.layout.env(d.root), optional: false }];
  const versionDir = running ? await realpath(d.layout.versionDir(running)).catch(() => null) : null;
  const cache = new Map<string, string | null>();
  if (runningEnv) cache.set(await realpath(runningEnv.file).catch(() => runningEnv.file), runningEnv.text);

  const apart: UnitSecrets = { secrets: [], values: new Map() };
  const files: EnvFile[] = [];
  const keys: Record<string, string> = {};
  // Environment= first: systemd lets the files override it
  const own = facts?.environment ?? {};
  for (const [k, v] of Object.entries(own)) {
    if (v !== '') keys[k] = UNIT_ENVIRONMENT;
    if (isSecretValue(v)) apart.secrets.push(v);
  }
  if (Object.keys(own).length) apart.values.set(UNIT_ENVIRONMENT, Object.freeze({ ...own }));
  for (const f of listed) {
    const read = await readEnv(f.path, cache);
    const inVersion = read.real && versionDir && read.real.startsWith(versionDir + path.sep) ? path.relative(versionDir, read.real) : null;
    const label = inVersion === '.env' ? '.env' : f.path;
    const names = read.text === null ? [] : envNamesSet(read.text);
    if (read.text !== null) {
      apart.secrets.push(...envSecretValues(read.text));
      if (inVersion === null) apart.values.set(f.path, Object.freeze(envVariables(read.text)));
      // the last file loaded wins, as systemd's EnvironmentFile= does: a later empty value unsets
      for (const [k, v] of Object.entries(envVariables(read.text))) {
        if (v !== '') keys[k] = label;
        else delete keys[k];
      }
    }
    const problem = read.problem ?? (read.text === null && !f.optional ? 'does not exist' : null);
    files.push({ path: f.path, optional: f.optional, inVersion, exists: read.text !== null, names, problem });
  }

  const password = passwordOf(facts?.execStart ?? null);
  if (password.literal) apart.secrets.push(password.literal);
  const owner = await resolveOwner(told.user, told.group);
  return {
    unit: {
      source: facts ? 'unit' : 'file',
      user: told.user,
      group: told.group,
      owner: owner.owner,
      problem: owner.problem,
      environmentNames: Object.keys(own)
        .filter((k) => own[k] !== '')
        .sort(),
      environmentFiles: files,
      keys,
      password: password.shown,
      program: facts?.execStart?.[0] ?? null,
      workingDirectory: facts?.workingDirectory ?? null,
      stopTimeoutMs: facts?.stopTimeoutMs ?? null,
    },
    apart,
  };
}

async function readEnv(file: string, cache: Map<string, string | null>): Promise<{ real: string | null; text: string | null; problem: string | null }> {
  let real: string;
  try {
    real = await realpath(file);
  } catch (e) {
    return { real: null, text: null, problem: isNotFound(e) ? null : errnoText(e) };
  }
  if (cache.has(real)) return { real, text: cache.get(real) ?? null, problem: null };
  try {
    const text = await readFile(real, 'utf8');
    cache.set(real, text);
    return { real, text, problem: null };
  } catch (e) {
    return { real, text: null, problem: isNotFound(e) ? null : errnoText(e) };
  }
}

/**
 * How ExecStart passes the keystore password: `--password ${NAME}` (or `$NAME`) takes it from the
 * environment; anything else is the password itself, kept apart as a secret.
 */
function passwordOf(argv: string[] | null): { shown: NodeUnit['password']; literal: string | null } {
  if (!argv) return { shown: null, literal: null };
  const i = argv.findIndex((a) => a === '--password' || a.startsWith('--password='));
  if (i < 0) return { shown: null, literal: null };
  const value = argv[i]!.startsWith('--password=') ? argv[i]!.slice('--password='.length) : (argv[i + 1] ?? '');
  const variable = /^["']?\$\{?([A-Za-z_]\w*)\}?["']?$/.exec(value)?.[1];
  if (variable) return { shown: { variable }, literal: null };
  const literal = value.replace(/^(["'])(.*)\1$/, '$2');
  return literal ? { shown: { literal: true }, literal } : { shown: null, literal: null };
}

/** User and group names (or numbers) → the owner of what glr writes for the node; root: nothing to change. */
async function resolveOwner(user: string | null, group: string | null): Promise<{ owner: NodeUnit['owner']; problem: string | null }> {
  if (user === null || user === 'root' || user === '0') return { owner: null, problem: null };
  const pw = await getent('passwd', user);
  if (!pw) return { owner: null, problem: `the node's user ${user} is not a user of this host (getent passwd ${user})` };
  const uid = Number(pw[2]);
  let gid = Number(pw[3]);
  if (group !== null) {
    const gr = /^\d+$/.test(group) ? [group, '', group] : await getent('group', group);
    if (!gr) return { owner: null, problem: `the node's group ${group} is not a group of this host (getent group ${group})` };
    gid = Number(gr[2]);
  }
  return Number.isInteger(uid) && Number.isInteger(gid) ? { owner: { uid, gid }, problem: null } : { owner: null, problem: `getent passwd ${user}: no uid` };
}

async function getent(db: 'passwd' | 'group', name: string): Promise<string[] | null> {
  const r = await run(['getent', db, name], { timeoutMs: 10_000 });
  const line = r.exitCode === 0 ? r.output.split('\n')[0] : undefined;
  return line ? line.split(':') : null;
}
