import { parseDocument } from 'yaml';
import type { LlmStrategy } from '../desired/types.js';
import { refuse } from '../errors.js';
import { YamlEditor } from '../yaml/cst-edit.js';
import { DOT_ENV, type KeyPlaces } from './env-file.js';
import { usableBackends, type Backends } from './llm-config.js';

/**
 * GenVM's LLM strategy (v0.5.7+), as GenLayer's procedure describes it: releases ship
 * `genvm-modules-llm-release.yaml` (every backend) and two Lua scripts; the procedure copies the
 * release file over `genvm-module-llm.yaml`, points `lua_script_path` at the operator's strategy
 * (default or greybox), then enables the operator's providers. greybox needs OPENROUTERKEY.
 */

/** beside genvm-module-llm.yaml in third_party/genvm/config */
export const LLM_RELEASE_FILE = 'genvm-modules-llm-release.yaml';

export function luaScriptName(strategy: LlmStrategy): string {
  return `genvm-llm-${strategy}.lua`;
}

/** `lua_script_path` as GenLayer's files write it: relative to GenVM's executable folder. */
export function luaScriptPathOf(strategy: LlmStrategy): string {
  return `\${exeDir}/../config/${luaScriptName(strategy)}`;
}

/** The strategy a `lua_script_path` names; null when it names neither script (or none). */
export function strategyOf(luaScriptPath: string | null): LlmStrategy | null {
  if (luaScriptPath === null) return null;
  const base = luaScriptPath.split('/').at(-1);
  return base === luaScriptName('greybox') ? 'greybox' : base === luaScriptName('default') ? 'default' : null;
}

/** `lua_script_path` of a GenVM LLM config's text; null when it has none (or is not YAML). */
export function luaScriptPath(text: string): string | null {
  const doc = parseDocument(text);
  if (doc.errors.length) return null;
  const v = doc.get('lua_script_path');
  return typeof v === 'string' ? v : null;
}

/**
 * The release file's text with `lua_script_path` on the strategy's script (a CST edit: the rest
 * stays byte for byte). Refused when the file has no `lua_script_path` to set.
 */
export function withStrategy(releaseText: string, strategy: LlmStrategy, label: string): string {
  const doc = new YamlEditor(releaseText);
  if (!doc.setScalar(['lua_script_path'], luaScriptPathOf(strategy))) {
    throw refuse(`${label}: no plain \`lua_script_path:\` to point at ${luaScriptName(strategy)}; set the strategy by hand`);
  }
  return doc.toString();
}

/** What greybox needs that a set-up lacks: OPENROUTERKEY in .env and the openrouter backend on. */
export function greyboxProblems(v: string, envNames: readonly string[], openrouterOff: boolean, at: KeyPlaces = DOT_ENV): string[] {
  const out: string[] = [];
  if (!envNames.includes('OPENROUTERKEY')) {
    const none = at.files === '.env' ? `${v}'s .env has none` : `none of ${v}'s environment files (${at.files}) sets it`;
    out.push(
      `the greybox LLM strategy needs OPENROUTERKEY set in ${at.files} (its first backend is openrouter) and ${none}: GenVM's LLM module would fail and the node crash-loop. Set OPENROUTERKEY in ${at.files}, or set llm.strategy: default`,
    );
  }
  if (openrouterOff) {
    out.push(
      `the greybox LLM strategy needs the openrouter backend on and ${v}'s would be off: remove llm.providers.openrouter: false, or set llm.strategy: default`,
    );
  }
  return out;
}

/**
 * Keys set in .env whose provider is switched off while another backend is usable: a sharp
 * edge GenLayer lists (the operator pays for a key the node does not use). By the config's own
 * `key: ${ENV[NAME]}`; one line each.
 */
export function idleKeyWarnings(v: string, backends: Backends, envNames: readonly string[], at: KeyPlaces = DOT_ENV): string[] {
  if (usableBackends(backends, envNames).length === 0) return [];
  const set = new Set(envNames);
  return Object.entries(backends)
    .filter(([, b]) => !b.enabled && b.keyVar !== null && set.has(b.keyVar))
    .map(
      ([name, b]) =>
        `${b.keyVar} is set in ${at.of(b.keyVar!)} but the ${name} backend is off in ${v}'s GenVM LLM config: switch it on (llm.providers.${name}: true) or remove the key`,
    );
}
