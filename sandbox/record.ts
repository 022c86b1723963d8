/**
 * A hook for tests: records that it ran, and with what.
 *
 *   node record.js OUT.jsonl [--exit N] [ARGS...]
 *
 * appends one JSON line to OUT.jsonl: {at, argv: ARGS, cwd, env: every GLR_* variable, dotenv:
 * the names (never the values) of the sandbox's .env variables it found set in its
 * environment}, then exits N (default 0).
 */
import { appendFileSync } from 'node:fs';

export interface RecordedCall {
  at: number;
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  /** names of .env variables set (non-empty) in the hook's environment, sorted */
  dotenv: string[];
}

/** the .env names a hook may see exported (the sandbox's, and GenLayer's own keys) */
const DOTENV_NAMES = [
  'NODE_PASSWORD',
  'HEURISTKEY',
  'COMPUT3KEY',
  'IOINTELLIGENCEKEY',
  'LIBERTAI_API_KEY',
  'ANTHROPICKEY',
  'GEMINIKEY',
  'OPENROUTERKEY',
  'OPENAIKEY',
  'MORPHEUS_API_KEY',
  'VALIDATOR_PASSWORD',
];

const [out, ...rest] = process.argv.slice(2);
let exit = 0;
if (rest[0] === '--exit') {
  exit = Number(rest[1] ?? 1);
  rest.splice(0, 2);
}
if (!out) {
  process.stderr.write('usage: record.js OUT.jsonl [--exit N] [ARGS...]\n');
  process.exit(2);
}
const call: RecordedCall = {
  at: Date.now(),
  argv: rest,
  cwd: process.cwd(),
  env: Object.fromEntries(Object.entries(process.env).filter(([k, v]) => k.startsWith('GLR_') && v !== undefined)) as Record<string, string>,
  dotenv: DOTENV_NAMES.filter((k) => process.env[k]).sort(),
};
appendFileSync(out, `${JSON.stringify(call)}\n`);
process.stdout.write(`recorded ${rest.join(' ')}\n`);
process.exit(exit);
