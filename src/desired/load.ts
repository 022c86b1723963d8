import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isNode, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { refuse } from '../errors.js';
import { Layout } from '../layout.js';
import { errnoText } from '../runtime/text.js';
import { substitute, type PlaceholderName } from './placeholders.js';
import { DesiredFileSchema, KNOWN_KEYS, type DesiredFile } from './schema.js';
import { closest } from './suggest.js';
import { DEFAULTS, type Desired, type ServiceSpec } from './types.js';
import { seriesOf } from './version.js';

/** One problem in the file, located by line. */
export interface FileProblem {
  line: number;
  /** dotted path of the key, '' for the whole file */
  key: string;
  message: string;
}

export type ParseResult = { ok: true; desired: Desired } | { ok: false; problems: FileProblem[] };

/** Reads and validates FILE; every problem is reported at once, one line each. */
export async function loadDesired(file: string): Promise<Desired> {
  const { parsed } = await readDesired(file);
  if (!parsed.ok) throw refuse(formatProblems(file, parsed.problems));
  return parsed.desired;
}

/** The file's text and what it parses to; throws (one line) only when it cannot be read. */
export async function readDesired(file: string): Promise<{ text: string; parsed: ParseResult }> {
  const abs = path.resolve(file);
  const text = await readDesiredText(abs, file);
  return { text, parsed: parseDesired(text, abs) };
}

/** The text of the desired-state file at `file`; refused, in one line naming `label` and why, when it cannot be read. */
export async function readDesiredText(file: string, label: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw refuse(`${label}: cannot read the desired-state file: ${errnoText(e)}`);
  }
}

export function formatProblems(label: string, problems: FileProblem[]): string {
  return problems.map((p) => `${label}:${p.line}: ${p.message}`).join('\n');
}

/**
 * Pure: text → Desired or the list of problems. `file` is recorded as given. With `forVersion`,
 * the state the same file would describe for another version (prepare-ahead): every placeholder
 * resolved for that version, and no `release.sha256` (a pin names one tarball, the file's own).
 */
export function parseDesired(text: string, file: string, opts: { forVersion?: string } = {}): ParseResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const lineAt = (offset: number | undefined) => (offset === undefined ? 1 : lines.linePos(offset).line);

  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => ({
        line: lineAt(e.pos[0]),
        key: '',
        message: `invalid YAML: ${firstLine(e.message)}`,
      })),
    };
  }
  const raw: unknown = doc.toJS();
  if (raw === null || raw === undefined) {
    return { ok: false, problems: [{ line: 1, key: '', message: 'the file is empty; `version` is required' }] };
  }
  if (!isMap(doc.contents)) {
    return { ok: false, problems: [{ line: 1, key: '', message: 'expected a map of keys (version:, root:, ...) at the top level' }] };
  }

  const parsed = DesiredFileSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.flatMap((i) => describeIssue(i, doc, lineAt));
    // `verison: ...` already says "did you mean `version`"; "version: is required" would be noise
    const suggested = new Set(problems.flatMap((p) => /did you mean `([^`]+)`/.exec(p.message)?.[1] ?? []));
    return { ok: false, problems: sortProblems(problems.filter((p) => !(p.message.endsWith(': is required') && suggested.has(p.key)))) };
  }
  const data = opts.forVersion ? { ...parsed.data, version: opts.forVersion, release: { ...parsed.data.release, sha256: undefined } } : parsed.data;
  return resolve(data, file, doc, lineAt);
}

function describeIssue(issue: z.core.$ZodIssue, doc: Document, lineAt: (o?: number) => number): FileProblem[] {
  const at = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const known = KNOWN_KEYS[at.join('.')] ?? [];
    return issue.keys.map((k) => {
      const full = [...at, k].join('.');
      const guess = closest(k, known);
      const hint = guess ? `; did you mean \`${[...at, guess].join('.')}\`?` : known.length ? `; known keys here: ${known.join(', ')}` : '';
      return { line: lineAt(keyOffset(doc, at, k)), key: full, message: `unknown key \`${full}\`${hint}` };
    });
  }
  const key = at.join('.');
  const node = doc.getIn(issue.path as (string | number)[], true);
  let offset = isNode(node) ? node.range?.[0] : undefined;
  let message = issue.message;
  if (node === undefined && issue.code === 'invalid_type') {
    message = 'is required';
    offset = parentOffset(doc, at);
  } else if (isScalar(node)) {
    message = `${message} (got ${show(node.value)})`;
  }
  return [{ line: lineAt(offset), key, message: key ? `${key}: ${message}` : message }];
}

function resolve(f: DesiredFile, file: string, doc: Document, lineAt: (o?: number) => number): ParseResult {
  const problems: FileProblem[] = [];
  const version = f.version;
  const root = path.resolve(f.root ?? DEFAULTS.root);
  const versionDir = path.join(root, version);
  const sub = (key: string[], text: string, allowed: Partial<Record<PlaceholderName, string>>): string => {
    const r = substitute(text, allowed);
    for (const name of r.unknown) {
      const names = Object.keys(allowed).map((n) => `{${n}}`);
      problems.push({
        line: lineAt(nodeOffset(doc, key)),
        key: key.join('.'),
        message: `${key.join('.')}: unknown placeholder {${name}}; ${names.length ? `this field may use ${names.join(', ')}` : 'this field takes no placeholders'}`,
      });
    }
    return r.text;
  };

  const layout = new Layout(root);
  const sharedDb = f.sharedDb ? path.resolve(sub(['sharedDb'], f.sharedDb, { root })) : layout.seriesDb(seriesOf(version)!);
  const url = sub(['release', 'url'], f.release?.url ?? DEFAULTS.releaseUrl, { version });
  const setup = (f.genvm?.setup ?? [...DEFAULTS.genvmSetup]).map((a, i) => sub(['genvm', 'setup', String(i)], a, { version, versionDir, root }));

  const s = f.service ?? {};
  const manager = s.manager ?? 'systemd';
  const running = s.running ?? true;
  let service: ServiceSpec;
  if (manager === 'command') {
    const missing = (['start', 'stop', 'status'] as const).filter((k) => !s[k]);
    for (const k of missing) {
      problems.push({
        line: lineAt(nodeOffset(doc, ['service'])),
        key: `service.${k}`,
        message: `service.${k}: is required with manager: command (an argv list)`,
      });
    }
    if (s.unit !== undefined) {
      problems.push({ line: lineAt(nodeOffset(doc, ['service', 'unit'])), key: 'service.unit', message: 'service.unit: is only used with manager: systemd' });
    }
    const argvOf = (k: 'start' | 'stop' | 'status') => (s[k] ?? []).map((a, i) => sub(['service', k, String(i)], a, { root }));
    service = { running, manager, start: argvOf('start'), stop: argvOf('stop'), status: argvOf('status') };
  } else {
    for (const k of ['start', 'stop', 'status', 'user', 'group', 'environmentFiles'] as const) {
      if (s[k] !== undefined) {
        problems.push({
          line: lineAt(nodeOffset(doc, ['service', k])),
          key: `service.${k}`,
          message: `service.${k}: is only used with manager: command${['user', 'group', 'environmentFiles'].includes(k) ? ' (with systemd, glr reads it from the unit)' : ''}`,
        });
      }
    }
    service = { running, manager, unit: s.unit ?? DEFAULTS.unit };
  }
  const healthUrl = sub(['health', 'url'], f.health?.url ?? DEFAULTS.healthUrl, {});
  const configFile = f.configFile ? path.resolve(sub(['configFile'], f.configFile, { root, version })) : null;
  const hooks = (k: 'preSwitch' | 'postSwitch') =>
    (f.hooks?.[k] ?? []).map((argv, i) => argv.map((a, j) => sub(['hooks', k, String(i), String(j)], a, { version, versionDir, root })));
  const hookLists = { preSwitch: hooks('preSwitch'), postSwitch: hooks('postSwitch') };
  const envFile = f.envFile ? path.resolve(sub(['envFile'], f.envFile, { root, version })) : null;
  const snapshots = {
    beforeSwitch: f.snapshots?.beforeSwitch ?? false,
    keep: f.snapshots?.keep ?? DEFAULTS.snapshotsKept,
    restoreOnRollback: f.snapshots?.restoreOnRollback ?? false,
  };
  if (snapshots.restoreOnRollback && !snapshots.beforeSwitch) {
    problems.push({
      line: lineAt(nodeOffset(doc, ['snapshots', 'restoreOnRollback'])),
      key: 'snapshots.restoreOnRollback',
      message: 'snapshots.restoreOnRollback: needs snapshots.beforeSwitch: true (a rollback restores the snapshot taken before the stop)',
    });
  }

  if (problems.length > 0) return { ok: false, problems: sortProblems(problems) };
  return {
    ok: true,
    desired: {
      file,
      version,
      root,
      layout,
      sharedDb,
      release: { url, sha256: f.release?.sha256?.toLowerCase() ?? null },
      llm: { providers: { ...(f.llm?.providers ?? {}) }, strategy: f.llm?.strategy ?? null },
      genvm: { setup },
      service,
      health: {
        url: healthUrl,
        timeoutSeconds: f.health?.timeoutSeconds ?? DEFAULTS.timeoutSeconds,
        progressSeconds: f.health?.progressSeconds ?? DEFAULTS.progressSeconds,
      },
      configFile,
      preflight: { doctor: f.preflight?.doctor ?? false, webdriver: f.preflight?.webdriver === undefined ? DEFAULTS.webdriver : f.preflight.webdriver },
      hooks: hookLists,
      retain: f.retain ?? DEFAULTS.retain,
      metrics: { textfile: f.metrics?.textfile ? path.resolve(f.metrics.textfile) : null },
      prepareAhead: f.prepareAhead ?? 'off',
      envFile,
      snapshots,
      ...hostOf(f, manager),
    },
  };
}

/** The fields of hosts as operators run them, resolved (see schema.ts `hostFields`). */
function hostOf(f: DesiredFile, manager: 'systemd' | 'command'): Pick<Desired, 'network' | 'runAs' | 'telemetry'> {
  const s = f.service ?? {};
  const alloy = f.telemetry?.alloy;
  return {
    network: f.network ?? null,
    runAs:
      manager === 'command'
        ? {
            user: s.user ?? null,
            group: s.group ?? null,
            environmentFiles: s.environmentFiles?.map((p) => ({ path: path.resolve(p.replace(/^-/, '')), optional: p.startsWith('-') })) ?? null,
          }
        : null,
    telemetry: {
      alloy: { container: alloy?.container === undefined ? DEFAULTS.alloyContainer : alloy.container, logPath: alloy?.logPath ?? DEFAULTS.alloyLogPath },
    },
  };
}

function nodeOffset(doc: Document, key: string[]): number | undefined {
  for (let n = key.length; n > 0; n--) {
    const node = doc.getIn(key.slice(0, n), true);
    if (isNode(node)) return node.range?.[0];
  }
  return undefined;
}

function keyOffset(doc: Document, mapPath: string[], key: string): number | undefined {
  const map = mapPath.length ? doc.getIn(mapPath, true) : doc.contents;
  if (isMap(map)) {
    for (const pair of map.items) {
      if (isScalar(pair.key) && String(pair.key.value) === key) return pair.key.range?.[0];
    }
  }
  return nodeOffset(doc, mapPath);
}

function parentOffset(doc: Document, key: string[]): number | undefined {
  return key.length > 1 ? nodeOffset(doc, key.slice(0, -1)) : undefined;
}

function sortProblems(ps: FileProblem[]): FileProblem[] {
  return [...ps].sort((a, b) => a.line - b.line || a.key.localeCompare(b.key));
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.trim();
}

function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
