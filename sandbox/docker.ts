/**
 * A stand-in for the `docker` CLI, for the containers GenLayer's procedure runs beside the node
 * (the WebDriver, the Alloy telemetry agent), as Docker behaves where glr can tell. Put on PATH
 * for one test by sandbox/machine.ts; nothing runs as a daemon: a container is a JSON file.
 *
 * Its one behaviour that matters: a container's bind mounts are resolved (through links, as
 * Docker does) when it is started, restarted or recreated, and `exec … stat` answers from where
 * they resolved then. So a switch of the root's links leaves Alloy showing the old version's
 * node.log until it is restarted, exactly as GenLayer's sharp edge `alloy-stale-bind-mount` says.
 *
 *   docker inspect [--type container] [--] NAME       [{State, Config.Labels, Mounts}] or exit 1
 *   docker exec NAME stat -L -c '%d %i' PATH            from the mount's resolved source
 *   docker restart NAME                                mounts resolved again
 *   docker compose -p P --project-directory D [-f F]... up -d [--force-recreate] [--no-deps] SERVICE
 *                                                     (re)creates SERVICE from F (default D/docker-compose.yaml):
 *                                                     its container_name, and its bind mounts with
 *                                                     ${VAR:-default} read from D/.env
 *
 * Invoked as: node docker.js --state DIR ARGS...; containers are DIR/containers/NAME.json, every
 * call that changes one is a line of DIR/events.log.
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

export interface FakeContainer {
  name: string;
  status: 'running' | 'exited' | 'restarting';
  /** Docker's health status; null: the image has no health check */
  health: string | null;
  labels: Record<string, string>;
  /** `source` as configured (it may go through links); `resolved`: where it led when the container last started */
  mounts: { source: string; destination: string; resolved: string | null }[];
}

const argv = process.argv.slice(2);
const dir = argv[argv.indexOf('--state') + 1]!;
const args = argv.filter((_, i) => i !== argv.indexOf('--state') && i !== argv.indexOf('--state') + 1);
const containers = path.join(dir, 'containers');

function load(name: string): FakeContainer | null {
  const f = path.join(containers, `${name}.json`);
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as FakeContainer) : null;
}

function save(c: FakeContainer, event: string): void {
  mkdirSync(containers, { recursive: true });
  writeFileSync(path.join(containers, `${c.name}.json`), JSON.stringify(c, null, 2));
  appendFileSync(path.join(dir, 'events.log'), `${Date.now()} ${event} ${c.name}\n`);
}

function resolveMounts(c: FakeContainer): string | null {
  for (const m of c.mounts) {
    try {
      m.resolved = realpathSync(m.source);
    } catch {
      return `Error response from daemon: invalid mount config for type "bind": bind source path does not exist: ${m.source}`;
    }
  }
  return null;
}

function fail(text: string, code = 1): number {
  process.stderr.write(`${text}\n`);
  return code;
}

function inspect(name: string): number {
  const c = load(name);
  if (!c) return fail(`Error: No such object: ${name}`);
  const state = { Status: c.status, Running: c.status === 'running', ...(c.health ? { Health: { Status: c.health } } : {}) };
  const mounts = c.mounts.map((m) => ({ Type: 'bind', Source: m.source, Destination: m.destination }));
  process.stdout.write(`${JSON.stringify([{ Name: `/${c.name}`, State: state, Config: { Labels: c.labels }, Mounts: mounts }], null, 2)}\n`);
  return 0;
}

function exec(name: string, cmd: string[]): number {
  const c = load(name);
  if (!c) return fail(`Error response from daemon: No such container: ${name}`);
  if (c.status !== 'running') return fail(`Error response from daemon: container ${name} is not running`);
  if (cmd[0] !== 'stat') return fail(`OCI runtime exec failed: ${cmd[0]}: executable file not found in $PATH`, 126);
  const file = cmd.at(-1)!;
  const m = c.mounts.find((x) => x.resolved && (file === x.destination || file.startsWith(`${x.destination}/`)));
  try {
    if (!m) throw new Error('no mount');
    const st = statSync(path.join(m.resolved!, file.slice(m.destination.length)));
    process.stdout.write(`${st.dev} ${st.ino}\n`);
    return 0;
  } catch {
    return fail(`stat: cannot statx '${file}': No such file or directory`);
  }
}

function restart(name: string): number {
  const c = load(name);
  if (!c) return fail(`Error response from daemon: No such container: ${name}`);
  const problem = resolveMounts(c);
  if (problem) return fail(problem);
  c.status = 'running';
  save(c, 'restart');
  process.stdout.write(`${name}\n`);
  return 0;
}

/** `${VAR:-default}` and `${VAR}` from D/.env, as compose interpolates a volume. */
function interpolate(text: string, env: Record<string, string>): string {
  return text.replace(/\$\{(\w+)(?::-([^}]*))?\}/g, (_, k: string, def?: string) => env[k] || def || '');
}

function compose(rest: string[]): number {
  const opt = (flag: string) => rest.flatMap((a, i) => (a === flag ? [rest[i + 1]!] : []));
  const project = opt('-p')[0] ?? opt('--project-name')[0];
  const workingDir = opt('--project-directory')[0] ?? process.cwd();
  const files = opt('-f').length ? opt('-f') : [path.join(workingDir, 'docker-compose.yaml')];
  if (!rest.includes('up')) return fail('docker compose (sandbox): only up');
  const service = rest.at(-1)!;
  const env: Record<string, string> = {};
  for (const line of (existsSync(path.join(workingDir, '.env')) ? readFileSync(path.join(workingDir, '.env'), 'utf8') : '').split('\n')) {
    const m = /^\s*([A-Za-z_]\w*)=(.*)$/.exec(line);
    if (m) env[m[1]!] = m[2]!;
  }
  const spec = (parse(readFileSync(files[0]!, 'utf8')) as { services?: Record<string, { container_name?: string; volumes?: string[] }> }).services?.[service];
  if (!spec) return fail(`no such service: ${service}`);
  const name = spec.container_name ?? `${project}-${service}-1`;
  const old = load(name);
  if (old && !rest.includes('--force-recreate')) return 0;
  const mounts = (spec.volumes ?? []).flatMap((v) => {
    const [src, dst] = interpolate(v, env).split(':') as [string, string];
    return src.startsWith('.') || src.startsWith('/') ? [{ source: path.resolve(workingDir, src), destination: dst, resolved: null }] : [];
  });
  const c: FakeContainer = {
    name,
    status: 'running',
    health: old?.health ?? null,
    labels: {
      'com.docker.compose.project': project ?? path.basename(workingDir),
      'com.docker.compose.project.working_dir': workingDir,
      'com.docker.compose.project.config_files': files.join(','),
      'com.docker.compose.service': service,
    },
    mounts,
  };
  const problem = resolveMounts(c);
  if (problem) return fail(problem);
  save(c, old ? 'recreate' : 'create');
  return 0;
}

function main(): number {
  const [verb, ...rest] = args;
  const operand = rest.filter((a) => !a.startsWith('-') && a !== 'container').at(-1) ?? '';
  switch (verb) {
    case 'inspect':
      return inspect(operand);
    case 'exec':
      return exec(rest[0]!, rest.slice(1));
    case 'restart':
      return restart(operand);
    case 'compose':
      return compose(rest);
    case 'ps':
      for (const f of existsSync(containers) ? readdirSync(containers) : []) process.stdout.write(`${f.replace(/\.json$/, '')}\n`);
      return 0;
    default:
      return fail(`docker (sandbox): unknown command ${verb}`);
  }
}

process.exit(main());
