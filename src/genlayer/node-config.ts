import { parse } from 'yaml';

/**
 * The node's config.yaml as key paths, and GenLayer's environment overrides of it. GenLayer
 * (genlayer-docs pages/validators/setup-guide.mdx, "Overriding Configuration with Environment
 * Variables"): any config key can be overridden by an environment variable named GENLAYERNODE_
 * followed by the key with dots replaced by underscores, upper case
 * (`rollup.genlayerchainrpcurl` → `GENLAYERNODE_ROLLUP_GENLAYERCHAINRPCURL`), and the variable
 * takes precedence over config.yaml. Values are compared here and never leave this module: what
 * goes on is key paths only.
 */

const OVERRIDE_PREFIX = 'GENLAYERNODE_';

/** The ops routes' operator token (`POST /snapshot`), read by the node from its environment at start (GenLayer: api-references/genlayer-node/ops/snapshot.mdx). */
export const OPERATOR_TOKEN = 'GENLAYERNODE_NODE_OPERATOR_TOKEN';

/** A config's leaves by dotted key path (as written), each value as canonical JSON: for comparing, never for printing. */
export type ConfigLeaves = ReadonlyMap<string, string>;

/** Pure: config.yaml text → its leaves; null when it is not YAML or not a map. A list is one leaf. */
export function configLeaves(text: string): ConfigLeaves | null {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    return null;
  }
  if (doc === null || doc === undefined) return new Map();
  if (!isMap(doc)) return null;
  const out = new Map<string, string>();
  const walk = (v: unknown, at: string) => {
    if (isMap(v) && Object.keys(v).length) for (const [k, x] of Object.entries(v)) walk(x, at ? `${at}.${k}` : k);
    else out.set(at, JSON.stringify(v ?? null));
  };
  walk(doc, '');
  return out;
}

/** Key paths whose value differs between two configs, or that only one of them has, sorted. */
export function changedKeys(before: ConfigLeaves, after: ConfigLeaves): string[] {
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys].filter((k) => before.get(k) !== after.get(k)).sort();
}

/**
 * How a config differs from the release's config.yaml.example, from the texts' structure: the
 * key paths of the example the config lacks (`missing`) and the reverse (`extra`), each at its
 * topmost (a whole section missing is named once); null when either text is not a YAML mapping.
 * For GenLayer's advice not to copy config blindly (releases
 * add keys).
 */
export function configDrift(example: string, config: string): { missing: string[]; extra: string[] } | null {
  const x = mappingOf(example);
  const y = mappingOf(config);
  if (!x || !y) return null;
  return { missing: missingKeys(x, y), extra: missingKeys(y, x) };
}

/** The key paths of config text `a` that config text `b` does not have, each at its topmost; null when either is not a YAML mapping. */
export function keysMissingFrom(a: string, b: string): string[] | null {
  const x = mappingOf(a);
  const y = mappingOf(b);
  return x && y ? missingKeys(x, y) : null;
}

function mappingOf(text: string): Record<string, unknown> | null {
  let v: unknown;
  try {
    v = parse(text) ?? {};
  } catch {
    return null;
  }
  return isMap(v) ? v : null;
}

function missingKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const out: string[] = [];
  const walk = (p: Record<string, unknown>, q: Record<string, unknown>, at: string) => {
    for (const [k, v] of Object.entries(p)) {
      const key = at ? `${at}.${k}` : k;
      if (!(k in q)) out.push(key);
      else if (isMap(v) && isMap(q[k])) walk(v, q[k] as Record<string, unknown>, key);
    }
  };
  walk(a, b, '');
  return out.sort();
}

/** The environment variable that overrides config key `key`. */
export function overrideVariable(key: string): string {
  return `${OVERRIDE_PREFIX}${key.replaceAll('.', '_').toUpperCase()}`;
}

/**
 * The config key each GENLAYERNODE_* name overrides: the key of `known` whose variable it is,
 * else the key the name spells (lower case, `_` → `.`) with `known: false`.
 */
export function overriddenKeys(envNames: readonly string[], known: Iterable<string>): { variable: string; key: string; known: boolean }[] {
  const byVariable = new Map<string, string>();
  for (const k of known) byVariable.set(overrideVariable(k), k);
  return envNames
    .filter((n) => n.startsWith(OVERRIDE_PREFIX) && n.length > OVERRIDE_PREFIX.length)
    .sort()
    .map((variable) => {
      const key = byVariable.get(variable);
      return key ? { variable, key, known: true } : { variable, key: variable.slice(OVERRIDE_PREFIX.length).toLowerCase().replaceAll('_', '.'), known: false };
    });
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * GenLayer's advice not to copy config blindly (releases add keys: rollup.provider,
 * consensus.chain_submit_buffer, genvm.sync_permits, …), as warnings: the key paths the
 * release's config.yaml.example has that the config `version` runs with lacks, and the reverse.
 * Key paths only, never a value.
 */
export function driftWarnings(version: string, drift: { missing: string[]; extra: string[] }): string[] {
  const some = (names: readonly string[]) => (names.length <= 12 ? names.join(', ') : `${names.slice(0, 12).join(', ')} and ${names.length - 12} more`);
  const out: string[] = [];
  if (drift.missing.length) {
    out.push(
      `${version}'s configs/node/config.yaml.example has ${some(drift.missing)}, which the config.yaml ${version} runs with lacks (GenLayer: releases add keys; do not copy config blindly): the node uses its defaults for ${drift.missing.length > 1 ? 'them' : 'it'}`,
    );
  }
  if (drift.extra.length) {
    out.push(
      `the config.yaml ${version} runs with has ${some(drift.extra)}, which ${version}'s config.yaml.example does not (renamed or dropped by the release?)`,
    );
  }
  return out;
}
