import { isMap, isScalar, parseDocument, type Document } from 'yaml';
import { refuse } from '../errors.js';
import { YamlEditor } from '../yaml/cst-edit.js';
import { DOT_ENV, type KeyPlaces } from './env-file.js';

/**
 * GenVM's LLM module config (`third_party/genvm/config/genvm-module-llm.yaml`), as GenLayer
 * documents it: providers are the keys of `backends:`; a backend without `enabled` is enabled;
 * each names its API key as `key: ${ENV[NAME]}`. At start GenVM switches off every backend whose
 * key is empty, and with none left the node crash-loops.
 */
export interface Backend {
  enabled: boolean;
  /** NAME from `key: ${ENV[NAME]}`; null when the key is a literal or absent */
  keyVar: string | null;
  /** the key is written in the file itself (non-empty, not from the environment) */
  literalKey: boolean;
}

export type Backends = Record<string, Backend>;

const ENV_REF = /^\$\{ENV\[([A-Za-z_][A-Za-z0-9_]*)\]\}$/;

/** What glr reads of a GenVM LLM config: its backends, and the strategy's script (v0.5.7+). */
export interface LlmConfig {
  backends: Backends;
  /** `lua_script_path`: the LLM strategy's script; null when it has none */
  luaScriptPath: string | null;
}

/**
 * A GenVM LLM config's text, parsed once. Refused (a GlrError, exit 1) when it is not YAML or has
 * no `backends:` map; `label` names the file in that message.
 */
export function readLlmConfig(text: string, label = 'the GenVM LLM config'): LlmConfig {
  const doc = parseYaml(text, label);
  const lua = doc.get('lua_script_path');
  return { backends: backendsOf(doc, label), luaScriptPath: typeof lua === 'string' ? lua : null };
}

/** The backends of a GenVM LLM config's text (see readLlmConfig). */
export function parseBackends(text: string, label = 'the GenVM LLM config'): Backends {
  return backendsOf(parseYaml(text, label), label);
}

function parseYaml(text: string, label: string): Document {
  const doc = parseDocument(text);
  if (doc.errors.length) throw refuse(`${label}: invalid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
  return doc;
}

function backendsOf(doc: Document, label: string): Backends {
  const backends = doc.get('backends', true);
  if (!isMap(backends)) throw refuse(`${label}: no \`backends:\` map`);
  const out: Backends = {};
  for (const pair of backends.items) {
    if (!isScalar(pair.key)) continue;
    const name = String(pair.key.value);
    const b = isMap(pair.value) ? pair.value : null;
    const enabled = b?.get('enabled');
    const key = b?.get('key');
    const keyText = typeof key === 'string' ? key.trim() : '';
    const ref = ENV_REF.exec(keyText);
    out[name] = {
      enabled: enabled === undefined || enabled === null ? true : enabled === true,
      keyVar: ref ? ref[1]! : null,
      literalKey: !ref && keyText !== '' && !keyText.includes('${'),
    };
  }
  return out;
}

/** What the backends would be with `providers` applied. Names not in `backends` are listed. */
export function withProviders(backends: Backends, providers: Record<string, boolean>): { backends: Backends; unknown: string[] } {
  const next: Backends = structuredClone(backends);
  const unknown: string[] = [];
  for (const [name, on] of Object.entries(providers)) {
    const b = next[name];
    if (!b) unknown.push(name);
    else b.enabled = on;
  }
  return { backends: next, unknown };
}

/** Enabled backends whose key is set (a literal, or a variable set non-empty in .env). */
export function usableBackends(backends: Backends, envNames: readonly string[]): string[] {
  const set = new Set(envNames);
  return Object.entries(backends)
    .filter(([, b]) => b.enabled && (b.literalKey || (b.keyVar !== null && set.has(b.keyVar))))
    .map(([n]) => n);
}

/**
 * What would stop version v's node at start with `providers` applied: a provider its config
 * does not have, or no enabled backend whose key is set in .env (GenVM switches those off and
 * the node crash-loops). One line each; none when the set-up can start.
 */
export function checkBackends(
  v: string,
  backends: Backends,
  providers: Record<string, boolean>,
  envNames: readonly string[],
  at: KeyPlaces = DOT_ENV,
): string[] {
  const next = withProviders(backends, providers);
  if (next.unknown.length) {
    return [
      `llm.providers names ${next.unknown.join(', ')}, which ${v}'s GenVM config does not have (it has ${Object.keys(backends).join(', ')}); fix llm.providers in the file`,
    ];
  }
  if (usableBackends(next.backends, envNames).length === 0) {
    const enabled = Object.entries(next.backends).filter(([, b]) => b.enabled);
    const keys = enabled.map(([n, b]) => `${n} needs ${b.keyVar ?? 'a key'}`);
    return [
      `no enabled LLM backend of ${v} has its key set in ${at.files} (${keys.length ? keys.join('; ') : 'every backend is off'}); GenVM would switch them all off and the node would crash-loop: set a key in ${at.files} or switch on a provider whose key is set`,
    ];
  }
  return [];
}

/** Providers whose `enabled` differs from what the file asks. */
export function providersToChange(backends: Backends, providers: Record<string, boolean>): string[] {
  return Object.entries(providers)
    .filter(([name, on]) => backends[name] !== undefined && backends[name]!.enabled !== on)
    .map(([n]) => n);
}

/**
 * Sets `backends.<name>.enabled` in the file's text, changing only those bytes (the yaml CST, in
 * one pass): comments, order, formatting and every other value stay. Where `enabled` is absent
 * and the provider is to be on, nothing is added (absent means enabled); to switch it off, an
 * `enabled: false` line is added at the top of its block (in a flow map `{..}`, at its end). Unlike the runbook's `sed`, this does
 * not depend on `enabled` being the line right under the provider. Refused (a GlrError naming
 * `label`) when the file has no backends or a provider's block cannot be edited.
 */
export function editProviders(
  text: string,
  providers: Record<string, boolean>,
  label = 'the GenVM LLM config',
): { text: string; changed: string[]; unknown: string[]; has: string[] } {
  const backends = parseBackends(text, label);
  // parseBackends read it as one valid YAML document, so the editor can too
  const doc = new YamlEditor(text);
  const changed: string[] = [];
  const unknown: string[] = [];
  for (const [name, on] of Object.entries(providers)) {
    const b = backends[name];
    if (!b) {
      unknown.push(name);
      continue;
    }
    if (b.enabled === on) continue;
    const at = ['backends', name];
    // a block gets `enabled:` on its first line, a flow map `{..}` as its last entry
    const edited = doc.has([...at, 'enabled'])
      ? doc.setScalar([...at, 'enabled'], on)
      : doc.addFirstEntry(at, 'enabled', on) || doc.addEntry(at, 'enabled', on);
    if (!edited) throw refuse(`${label}: backends.${name} is not a map with a plain \`enabled:\`; set it by hand`);
    changed.push(name);
  }
  return { text: doc.toString(), changed, unknown, has: Object.keys(backends) };
}
