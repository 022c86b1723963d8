import { parseArgs, type ParseArgsConfig } from 'node:util';
import { refuse } from '../errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, with its errors turned into one-line refusals that point at --help. */
export function parse<O extends Options>(command: string, argv: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals, strict: true });
  } catch (e) {
    throw refuse(`glr ${command}: ${(e as Error).message.split('\n')[0]} (see glr ${command} --help)`);
  }
}

export const fileOption = { file: { type: 'string', short: 'f', default: 'desired-state.yaml' } } as const;
