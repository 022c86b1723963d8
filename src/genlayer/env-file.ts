import { parse } from 'dotenv';

/**
 * A node's `.env`, read by `dotenv` (the format docker compose and shells share). The node's
 * systemd unit reads it with `EnvironmentFile=`, which agrees on what GenVM needs — `KEY=value`,
 * spaces around `=`, quotes, `#` and `;` comment lines, CRLF, the last assignment winning — and
 * differs on a few lines (test/unit/env-version.test.ts pins each):
 *
 * - `export KEY=v` and `KEY: v` set KEY here; systemd ignores those lines;
 * - an unquoted ` #...` ends the value here (`KEY=v # note` is `v`, `KEY= # note` is empty);
 *   systemd keeps it, and reads `KEY=#x` as `#x` where dotenv reads it empty;
 * - in double quotes dotenv turns `\n` into a line break, systemd keeps `\n`.
 */

/**
 * Names of the variables a `.env` file sets to a non-empty value. Values are looked at only to
 * tell empty from set; they never leave this function.
 */
export function envNamesSet(text: string): string[] {
  return Object.entries(parse(text))
    .filter(([, value]) => value !== '')
    .map(([name]) => name)
    .sort();
}

/**
 * The values themselves, for one purpose only: to scrub them out of text glr did not write (a
 * node's log tail, a setup script's output) before that text reaches a log or a message. Both
 * readings of a value are scrubbed, dotenv's and systemd's (where `#` starts no comment inside a
 * line), so that `NODE_PASSWORD=#x...` is scrubbed as the node receives it. Values under 6
 * characters are left, or every `true` and `1` in a log would go.
 */
export function envSecretValues(text: string): string[] {
  // NUL cannot occur in an environment: standing in for `#`, it hides inline comments from dotenv
  const asSystemd = Object.values(parse(text.replaceAll('#', '\0'))).map((v) => v.replaceAll('\0', '#'));
  const values = new Set([...Object.values(parse(text)), ...asSystemd]);
  return [...values].filter(isSecretValue);
}

/** Whether a value of the node's environment is scrubbed from text: 6 characters or more (shorter ones are `true`, `1`, ports). */
export function isSecretValue(v: string): boolean {
  return v.length >= 6;
}

/**
 * The variables a `.env` sets, as `set -a; . ./.env; set +a` exports them for GenLayer's own
 * commands (doctor) and the hooks: in memory only, handed to a child's environment, never logged.
 */
export function envVariables(text: string): Record<string, string> {
  return parse(text);
}

export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('[redacted]');
  return out;
}

/**
 * Where the node's keys are set, for messages: the files, named together (`.env`, or `.env,
 * /etc/genlayer/llm.env`), and the file that sets a given name. Names and paths only, never a value.
 */
export interface KeyPlaces {
  files: string;
  of(name: string): string;
}

/** The runbook's one file: every key in the running version's `.env`. */
export const DOT_ENV: KeyPlaces = { files: '.env', of: () => '.env' };
