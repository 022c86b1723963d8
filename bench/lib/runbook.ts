/**
 * The operators' runbook (reference/zero-downtime-update.md), prepare-first, as bash: Phase 1
 * with `curl -fsS -o` and GNU `tar -xzf --strip-components=1`, then the rest of its steps (GenVM
 * setup, configs, .env, the sed, the DB link, the keystore); Phase 2: stop, six `ln -sfn`, start.
 * `systemctl` is the sandbox's service script; sudo and chown are left out (one user here).
 * Phase 1 prints `mark NAME EPOCH_NS` between its steps so that each step can be timed.
 */
import path from 'node:path';
import type { SandboxHost } from '../../sandbox/host.js';
import { SVC_JS } from '../../sandbox/releases.js';
import { run } from './proc.js';

export function phase1(host: SandboxHost, url: string, version: string): string {
  const V = path.join(host.root, version);
  const tgz = path.join(host.dir, `genlayer-node-${version}.tar.gz`);
  return `set -e
mark() { echo "mark $1 $(date +%s%N)"; }
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

/** Runs Phase 1; returns each step's ms (download, extract, setup, rest) and when it began and ended. */
export async function runPhase1(
  host: SandboxHost,
  url: string,
  version: string,
): Promise<{ startedAt: number; endedAt: number; steps: Record<string, number> }> {
  const r = await run(['bash', '-c', phase1(host, url, version)]);
  if (r.code !== 0) throw new Error(`the runbook's Phase 1 failed (exit ${r.code}): ${r.stderr.trim()}`);
  const marks = [...r.stdout.matchAll(/^mark (\w+) (\d+)$/gm)].map((m) => ({ name: m[1]!, at: Number(BigInt(m[2]!) / 1000n) / 1000 }));
  const steps: Record<string, number> = {};
  for (let i = 1; i < marks.length; i++) steps[marks[i]!.name] = marks[i]!.at - marks[i - 1]!.at;
  return { startedAt: r.startedAt, endedAt: r.endedAt, steps };
}

export async function runPhase2(host: SandboxHost, version: string): Promise<{ startedAt: number; endedAt: number }> {
  const r = await run(['bash', '-c', phase2(host, version)]);
  if (r.code !== 0) throw new Error(`the runbook's Phase 2 failed (exit ${r.code}): ${r.stderr.trim()}`);
  return { startedAt: r.startedAt, endedAt: r.endedAt };
}
