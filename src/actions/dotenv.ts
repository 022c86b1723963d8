import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { envNamesSet, envSecretValues, envVariables } from '../genlayer/env-file.js';
import type { Layout } from '../layout.js';
import type { NodeEnvFile } from '../observe/types.js';
import type { ApplyContext } from './context.js';

/** A version's .env as the steps of one apply use it: read once, whichever step asks first. */
export interface DotEnv {
  /** the variables, for a child's environment (doctor, hooks.preSwitch): in memory only, never logged */
  vars: Record<string, string>;
  /** the names it sets non-empty (the checks need no more) */
  names: string[];
  /** its values, to scrub from what those children print */
  secrets: readonly string[];
  /** of its bytes: the prepared marker records what was installed */
  sha256: string;
}

/**
 * The environment files of one apply inside version folders (`.env`, and any other the node's
 * unit loads from there), by version and path. Each is read at its first use and kept for the
 * rest of the apply: the steps after `carry` (check-ready, doctor, hooks.preSwitch) all read the
 * same carried files, which nothing changes afterwards.
 */
export class DotEnvs {
  private readonly read = new Map<string, Promise<DotEnv>>();

  constructor(private readonly layout: Layout) {}

  /** `rel`: a path inside the version's folder */
  file(version: string, rel: string): Promise<DotEnv> {
    const file = path.join(this.layout.versionDir(version), rel);
    let p = this.read.get(file);
    if (!p) {
      p = readFile(file).then((bytes) => {
        const text = bytes.toString('utf8');
        return {
          vars: envVariables(text),
          names: envNamesSet(text),
          secrets: Object.freeze(envSecretValues(text)),
          sha256: createHash('sha256').update(bytes).digest('hex'),
        };
      });
      // a failed read is not kept: a later step asks again and says why itself
      p.catch(() => this.read.delete(file));
      this.read.set(file, p);
    }
    return p;
  }
}

/**
 * The environment the node gets from its environment files once `version` runs, in the order they
 * are loaded (a later file wins): those inside the version's folder as carried there, the others
 * as observe read them (values kept apart, `ctx.envValues`). `at`: name → the file that sets it.
 */
export async function nodeEnvironment(
  ctx: ApplyContext,
  version: string,
  env: readonly NodeEnvFile[],
): Promise<{ vars: Record<string, string>; names: string[]; at: Record<string, string>; secrets: readonly string[] }> {
  const vars: Record<string, string> = {};
  const at: Record<string, string> = {};
  const secrets: string[] = [...ctx.secrets];
  for (const f of env) {
    let values: Readonly<Record<string, string>>;
    let label: string;
    if ('inVersion' in f) {
      const e = await ctx.dotenvs.file(version, f.inVersion);
      values = e.vars;
      secrets.push(...e.secrets);
      label = f.inVersion === '.env' ? '.env' : path.join(ctx.layout.versionDir(version), f.inVersion);
    } else {
      // its names as observed; its values, when observe kept them, for a child's environment
      values = ctx.envValues.get(f.path) ?? {};
      label = f.path;
      for (const n of f.names) at[n] = label;
    }
    for (const [k, v] of Object.entries(values)) {
      vars[k] = v;
      if (v !== '') at[k] = label;
      else delete at[k];
    }
  }
  return { vars, names: Object.keys(at).sort(), at, secrets: Object.freeze(secrets) };
}
