import { readFile } from 'node:fs/promises';
import { envNamesSet, envSecretValues, envVariables } from '../genlayer/env-file.js';
import type { Layout } from '../layout.js';

/** A version's .env as the steps of one apply use it: read once, whichever step asks first. */
export interface DotEnv {
  /** the variables, for a child's environment (doctor, hooks.preSwitch): in memory only, never logged */
  vars: Record<string, string>;
  /** the names it sets non-empty (the checks need no more) */
  names: string[];
  /** its values, to scrub from what those children print */
  secrets: readonly string[];
}

/**
 * The .env files of one apply, by version. A version's .env is read at its first use and kept
 * for the rest of the apply: the steps after `carry` (check-ready, doctor, hooks.preSwitch) all
 * read the same carried file, which nothing changes afterwards.
 */
export class DotEnvs {
  private readonly read = new Map<string, Promise<DotEnv>>();

  constructor(private readonly layout: Layout) {}

  of(version: string): Promise<DotEnv> {
    let p = this.read.get(version);
    if (!p) {
      p = readFile(this.layout.env(this.layout.versionDir(version)), 'utf8').then((text) => ({
        vars: envVariables(text),
        names: envNamesSet(text),
        secrets: Object.freeze(envSecretValues(text)),
      }));
      // a failed read is not kept: a later step asks again and says why itself
      p.catch(() => this.read.delete(version));
      this.read.set(version, p);
    }
    return p;
  }
}
