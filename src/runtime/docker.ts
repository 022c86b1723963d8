import { run } from './exec.js';
import { clip, tail } from './text.js';

/**
 * The few things glr asks Docker about the containers GenLayer's procedure runs beside the node
 * (the WebDriver, the Alloy telemetry agent), through the `docker` CLI: argv lists, no shell.
 * Nothing here throws: a CLI that is missing, a daemon that does not answer or a container that
 * is not there is a `problem` line, and the caller decides what it means.
 */

const DOCKER_TIMEOUT_MS = 20_000;

/** What `docker inspect` says of one container. */
export interface ContainerInfo {
  /** `State.Status`: running, restarting, exited, created... */
  status: string;
  running: boolean;
  /** `State.Health.Status` (healthy, unhealthy, starting); null when the image has no health check */
  health: string | null;
  /** `Config.Labels` (docker compose writes its project, working dir, config files and service there) */
  labels: Record<string, string>;
}

export type Inspected = { ok: true; info: ContainerInfo } | { ok: false; problem: string; absent: boolean };

export async function inspectContainer(name: string): Promise<Inspected> {
  const r = await run(['docker', 'inspect', '--type', 'container', '--', name], { timeoutMs: DOCKER_TIMEOUT_MS });
  if (r.exitCode !== 0) {
    const absent = /no such (object|container)/i.test(r.output);
    return { ok: false, absent, problem: absent ? `there is no container ${name}` : `docker inspect ${name} ${failure(r)}` };
  }
  try {
    const [c] = JSON.parse(r.output.slice(r.output.indexOf('['))) as {
      State?: { Status?: string; Running?: boolean; Health?: { Status?: string } | null };
      Config?: { Labels?: Record<string, string> | null };
    }[];
    return {
      ok: true,
      info: {
        status: c?.State?.Status ?? 'unknown',
        running: c?.State?.Running === true,
        health: c?.State?.Health?.Status ?? null,
        labels: c?.Config?.Labels ?? {},
      },
    };
  } catch {
    return { ok: false, absent: false, problem: `docker inspect ${name} printed no container description` };
  }
}

/** The device and inode of `file` as the container sees it (`docker exec NAME stat -L`). */
export async function statInContainer(name: string, file: string): Promise<{ ok: true; dev: number; ino: number } | { ok: false; problem: string }> {
  const r = await run(['docker', 'exec', name, 'stat', '-L', '-c', '%d %i', file], { timeoutMs: DOCKER_TIMEOUT_MS });
  const m = /^(\d+) (\d+)$/m.exec(r.output);
  if (r.exitCode !== 0 || !m)
    return { ok: false, problem: `docker exec ${name} stat ${file} ${r.exitCode === 0 ? 'printed no device and inode' : failure(r)}` };
  return { ok: true, dev: Number(m[1]), ino: Number(m[2]) };
}

/** `docker restart NAME`: its bind mounts are resolved again (through the links as they are now). */
export async function restartContainer(name: string): Promise<string | null> {
  const r = await run(['docker', 'restart', name], { timeoutMs: 120_000 });
  return r.exitCode === 0 ? null : `docker restart ${name} ${failure(r)}`;
}

/** The compose project a container was created from, as docker compose labels it; null when it was not. */
export interface ComposeOrigin {
  project: string;
  workingDir: string;
  configFiles: string[];
  service: string;
}

export function composeOrigin(labels: Record<string, string>): ComposeOrigin | null {
  const project = labels['com.docker.compose.project'];
  const workingDir = labels['com.docker.compose.project.working_dir'];
  const service = labels['com.docker.compose.service'];
  if (!project || !workingDir || !service) return null;
  const files = (labels['com.docker.compose.project.config_files'] ?? '').split(',').filter(Boolean);
  return { project, workingDir, configFiles: files, service };
}

/**
 * `docker compose up -d --force-recreate --no-deps SERVICE` in the project the container came
 * from: the container is made again from the compose file and `.env` as they are now (a restart
 * keeps the old ones). Only that service: the WebDriver beside it is left running.
 */
export async function recreateService(o: ComposeOrigin): Promise<string | null> {
  const files = o.configFiles.flatMap((f) => ['-f', f]);
  const argv = ['docker', 'compose', '-p', o.project, '--project-directory', o.workingDir, ...files, 'up', '-d', '--force-recreate', '--no-deps', o.service];
  const r = await run(argv, { timeoutMs: 180_000, cwd: o.workingDir });
  return r.exitCode === 0 ? null : `docker compose up --force-recreate ${o.service} ${failure(r)}`;
}

function failure(r: { exitCode: number | null; failure: string | null; output: string }): string {
  const why = r.failure ?? `exited ${r.exitCode}`;
  return r.output ? `${why}: ${clip(tail(r.output, 1), 160)}` : why;
}
