import path from 'node:path';
import type { Desired } from '../desired/types.js';
import { isVersion } from '../desired/version.js';
import { DOT_ENV, type KeyPlaces } from '../genlayer/env-file.js';
import { OPERATOR_TOKEN } from '../genlayer/node-config.js';
import { UNIT_ENVIRONMENT, type Observed } from '../observe/types.js';
import type { NodeEnvFile, PrepareStep } from './types.js';

/**
 * The node's environment as its service gives it (observe/node-unit.ts), for the planner: which
 * keys the node gets and from which file, which files a preparation carries, who owns the new
 * folder, and what about the unit would make a switch fail. Pure.
 */

/** The names the node gets non-empty and where each is set; the running `.env` alone when the unit is not known. */
export function nodeKeys(o: Observed): { names: string[]; at: KeyPlaces } {
  const u = o.unit;
  if (!u) return { names: o.runningFiles?.envNames ?? [], at: DOT_ENV };
  const labels = [...(u.environmentNames.length ? [UNIT_ENVIRONMENT] : []), ...u.environmentFiles.map((f) => (f.inVersion === '.env' ? '.env' : f.path))];
  const files = labels.length ? labels.join(', ') : "the node's environment (its unit sets no Environment= and loads no EnvironmentFile=)";
  return { names: Object.keys(u.keys).sort(), at: { files, of: (name) => u.keys[name] ?? files } };
}

/** The node's environment files as the steps after the carry read them: inside the new folder, or where they are. */
export function nodeEnvFiles(o: Observed): NodeEnvFile[] {
  const u = o.unit;
  if (!u) return [{ inVersion: '.env' }];
  const own: NodeEnvFile[] = u.environmentNames.length ? [{ path: UNIT_ENVIRONMENT, names: u.environmentNames }] : [];
  return [
    ...own,
    ...u.environmentFiles.filter((f) => f.exists).map((f) => (f.inVersion !== null ? { inVersion: f.inVersion } : { path: f.path, names: f.names })),
  ];
}

/** The keys a node needs: its keystore password, the snapshot token, and the LLM keys `from`'s GenVM config names. */
const NODE_KEYS = ['NODE_PASSWORD', OPERATOR_TOKEN];

/**
 * Where the node's keys are found, for the plan's notes (names and files, never a value); null on
 * a runbook host, where they are all in `.env`.
 */
export function keysNote(o: Observed, from: string): string | null {
  const u = o.unit;
  if (!u) return null;
  const llm = o.llm[from];
  const wanted = new Set([...NODE_KEYS, ...(llm?.ok ? Object.values(llm.backends).flatMap((b) => (b.keyVar ? [b.keyVar] : [])) : [])]);
  const byFile = new Map<string, string[]>();
  for (const [k, f] of Object.entries(u.keys).sort()) if (wanted.has(k)) byFile.set(f, [...(byFile.get(f) ?? []), k]);
  const literal = u.password !== null && 'literal' in u.password;
  if (!literal && [...byFile.keys()].every((f) => f === '.env')) return null;
  const parts = [...(literal ? ['the keystore password on ExecStart'] : []), ...[...byFile].map(([f, ks]) => `${ks.join(', ')} in ${f}`)];
  return `the node's keys, as its ${u.source === 'unit' ? 'unit' : 'service.environmentFiles'} gives them: ${parts.join('; ')}`;
}

/** Environment files inside the running version's folder besides `.env`: carried like it (byte for byte, 600). */
export function carriedEnvFiles(o: Observed): string[] {
  return (o.unit?.environmentFiles ?? []).flatMap((f) => (f.inVersion !== null && f.inVersion !== '.env' && f.exists ? [f.inVersion] : []));
}

/** The unit's keystore password: on ExecStart, or its variable set in an environment file. Null when the node gets one. */
export function passwordProblem(o: Observed, v: string, envPath: string): string | null {
  const u = o.unit;
  if (!u) {
    const s = o.runningFiles;
    return s?.version === v && s.env && !s.envNames.includes('NODE_PASSWORD') ? noPassword(v, 'NODE_PASSWORD', envPath, '.env') : null;
  }
  if (u.password && 'literal' in u.password) return null;
  // no file to read at all is said on its own (unitRefusals, missingSources)
  if (u.environmentFiles.length && u.environmentFiles.every((f) => !f.exists)) return null;
  const name = u.password?.variable ?? 'NODE_PASSWORD';
  if (u.keys[name]) return null;
  const { at } = nodeKeys(o);
  return at.files === '.env' ? noPassword(v, name, envPath, '.env') : noPassword(v, name, at.files, at.files);
}

/**
 * With `envFile` installed as the new version's `.env` (in place of the carried one): whether the
 * node still gets its keystore password — written on ExecStart, set by envFile, or by another
 * of the files its unit loads (or its Environment=). Null when it does; on a host whose unit is
 * not known, `.env` is where it must be.
 */
export function envFilePasswordProblem(o: Observed, env: { path: string; names: string[] }): string | null {
  const u = o.unit;
  const password = u?.password ?? null;
  if (password && 'literal' in password) return null;
  const name = password?.variable ?? 'NODE_PASSWORD';
  if (env.names.includes(name)) return null;
  const elsewhere = u?.keys[name];
  if (elsewhere !== undefined && elsewhere !== '.env') return null;
  const how = name === 'NODE_PASSWORD' ? '' : ` (ExecStart passes --password \${${name}})`;
  return `envFile ${env.path} sets no ${name}${how}: the node unlocks its keystore with it and would not start. Set it there, then run glr again`;
}

function noPassword(v: string, name: string, where: string, files: string): string {
  const head = files === '.env' ? `${v}'s .env sets no ${name}` : `none of the node's environment files (${files}) sets ${name}`;
  const how = name === 'NODE_PASSWORD' ? '' : ` (ExecStart passes --password \${${name}})`;
  const fix = files === '.env' ? `Set it in ${where}` : 'Set it in one of them (or write the password on ExecStart)';
  return `${head}${how}: the node unlocks its keystore with it (genlayernode run --password \${${name}}) and would not start. ${fix}, then run glr again`;
}

/**
 * What about the service would make a switch fail, before anything is stopped: a user or group
 * this host does not know, an environment file systemd would refuse, an ExecStart that runs a
 * version folder directly (moving the root's links would change nothing it runs).
 */
export function unitRefusals(d: Desired, o: Observed): string[] {
  const u = o.unit;
  if (!u) return [];
  const out: string[] = [];
  const said = u.source === 'unit' ? `the unit ${d.service.manager === 'systemd' ? d.service.unit : ''}`.trim() : 'service.environmentFiles';
  if (u.problem)
    out.push(
      `${u.problem}: glr cannot give the new version's files to the node's user; fix ${u.source === 'unit' ? 'User=/Group= in the unit' : 'service.user/service.group in the file'}`,
    );
  for (const f of u.environmentFiles) {
    // the root's own .env missing is said where the files to carry are checked
    if (f.problem && f.path !== d.layout.env(d.root))
      out.push(
        `${said} loads ${f.path} (EnvironmentFile=), which ${f.problem === 'does not exist' ? 'does not exist: the node would not start' : `cannot be read (${f.problem})`}; create it, or mark it optional (${u.source === 'unit' ? `EnvironmentFile=-${f.path}` : `-${f.path}`})`,
      );
  }
  const pinned = pinnedVersion(d, u.program);
  if (pinned) {
    out.push(
      `${said} runs ${u.program}, inside the version folder ${pinned}: switching ${d.root}'s links would not change what it runs. Point ExecStart at ${path.join(d.root, 'bin/genlayernode')} (through the links), then run glr again`,
    );
  }
  return out;
}

/** The version folder a path under the root names directly (`{root}/v0.5.10/bin/genlayernode`), or null. */
function pinnedVersion(d: Desired, p: string | null): string | null {
  if (!p || !p.startsWith(d.root + path.sep)) return null;
  const first = p.slice(d.root.length + 1).split(path.sep)[0]!;
  return isVersion(first) ? first : null;
}

/** `chown -R` of a version folder to the node's user, when the node does not run as root. */
export function chownStep(o: Observed, version: string, dir: string): PrepareStep[] {
  const u = o.unit;
  if (!u?.owner || !u.user) return [];
  const { uid, gid } = u.owner;
  const who = `${u.user}:${u.group ?? gid}`;
  return [
    {
      kind: 'chown',
      version,
      user: who,
      uid,
      gid,
      description: `give ${dir} and everything in it to ${who} (${uid}:${gid}, the node's ${u.source === 'unit' ? 'User= and Group=' : 'service.user and service.group'}), as the runbook's chown -R does; links themselves, never what they point to`,
    },
  ];
}
