/**
 * The operators' runbook (reference/zero-downtime-update.md), prepare-first, as bash: Phase 1
 * with `curl -fsS -o` and GNU `tar -xzf --strip-components=1`, then the rest of its steps (GenVM
 * setup, configs, .env, the sed, the DB link, the keystore); Phase 2: stop, six `ln -sfn`, start.
 * `systemctl` is the sandbox's service script; sudo and chown are left out (one user here).
 * Phase 1 prints `mark NAME EPOCH_NS USER SYS` between its steps so that each step can be timed:
 * the wall clock, and the CPU time of the children the script waited for so far (bash's `times`:
 * curl, tar and the gzip it runs, python...).
 */
import path from 'node:path';
import type { SandboxHost } from '../../sandbox/host.js';
import { SVC_JS } from '../../sandbox/releases.js';
import { run } from './proc.js';

export function phase1(host: SandboxHost, url: string, version: string): string {
  const V = path.join(host.root, version);
  const tgz = path.join(host.dir, `genlayer-node-${version}.tar.gz`);
  return `set -e
times_file="$(mktemp)"
mark() { times > "$times_file"; echo "mark $1 $(date +%s%N) $(tail -n 1 "$times_file")"; }
mark start
curl -fsS -o "${tgz}" "${url}"
mark download
mkdir -p "${V}"
tar -xzf "${tgz}" -C "${V}" --strip-components=1
mark extract
python3 "${V}/third_party/genvm/bin/setup.py" > /dev/null
mark setup
mkdir -p "${V}/configs/node"
cp "${host.root}/configs/node/config.yaml" "${V}/configs/node/config.yaml"
cp "${host.root}/.env" "${V}/.env"
sed -i '/^  openai:/,/^  / s/enabled: false/enabled: true/' "${V}/third_party/genvm/config/genvm-module-llm.yaml"
mkdir -p "${V}/data/node"
ln -s "${host.db}" "${V}/data/node/genlayer.db"
cp -r "${host.root}/data/node/keystore" "${V}/data/node/"
mark rest
rm -f "$times_file"
`;
}

export function phase2(host: SandboxHost, version: string): string {
  const V = path.join(host.root, version);
  const svc = (verb: string) => `"${process.execPath}" "${SVC_JS}" ${verb} --root "${host.root}" --state "${host.state}"`;
  return `set -e
cd "${host.root}"
${svc('stop')}
${['bin', 'third_party', 'data', 'configs', 'docker-compose.yaml', '.env'].map((n) => `ln -sfn "${V}/${n}" ${n}`).join('\n')}
${svc('start')}
`;
}

/** bash's `times` line for the children: `0m1.234s 0m0.567s` → ms */
function childrenCpuMs(user: string, sys: string): number {
  const ms = (t: string) => {
    const m = /^(\d+)m([\d.]+)s$/.exec(t);
    return m ? (Number(m[1]) * 60 + Number(m[2])) * 1000 : NaN;
  };
  return ms(user) + ms(sys);
}

/**
 * Runs Phase 1; returns each step's ms and CPU ms (download, extract, setup, rest: the CPU of the
 * commands it ran, children included), its whole CPU, and when it began and ended.
 */
export async function runPhase1(
  host: SandboxHost,
  url: string,
  version: string,
): Promise<{ startedAt: number; endedAt: number; steps: Record<string, number>; cpu: Record<string, number>; cpuMs: number }> {
  const r = await run(['bash', '-c', phase1(host, url, version)]);
  if (r.code !== 0) throw new Error(`the runbook's Phase 1 failed (exit ${r.code}): ${r.stderr.trim()}`);
  const marks = [...r.stdout.matchAll(/^mark (\w+) (\d+) (\S+) (\S+)$/gm)].map((m) => ({
    name: m[1]!,
    at: Number(BigInt(m[2]!) / 1000n) / 1000,
    cpu: childrenCpuMs(m[3]!, m[4]!),
  }));
  const steps: Record<string, number> = {};
  const cpu: Record<string, number> = {};
  for (let i = 1; i < marks.length; i++) {
    steps[marks[i]!.name] = marks[i]!.at - marks[i - 1]!.at;
    cpu[marks[i]!.name] = marks[i]!.cpu - marks[i - 1]!.cpu;
  }
  return { startedAt: r.startedAt, endedAt: r.endedAt, steps, cpu, cpuMs: (marks.at(-1)?.cpu ?? NaN) - (marks[0]?.cpu ?? NaN) };
}

/** Runs Phase 2; returns when it began and ended, and the CPU of the commands it ran (ms). */
export async function runPhase2(host: SandboxHost, version: string): Promise<{ startedAt: number; endedAt: number; cpuMs: number }> {
  const r = await run(['bash', '-c', `${phase2(host, version)}times\n`]);
  if (r.code !== 0) throw new Error(`the runbook's Phase 2 failed (exit ${r.code}): ${r.stderr.trim()}`);
  const [user, sys] = r.stdout.trim().split('\n').at(-1)!.split(' ');
  return { startedAt: r.startedAt, endedAt: r.endedAt, cpuMs: childrenCpuMs(user!, sys!) };
}
