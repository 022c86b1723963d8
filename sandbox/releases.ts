/**
 * Fake GenLayer node releases, laid out like the real tarballs: one top folder
 * `genlayer-node-linux-amd64-VERSION/` with bin/genlayernode, third_party/genvm (a slow
 * setup.py that leaves GenVM's binaries and a marker, and the LLM module config), and the
 * top-level files of the release's shape:
 *
 *   v0.4  configs/node/config.yaml (a live config) and docker-compose.yaml: the seed runbook's
 *         six links' worth;
 *   v0.5  what GenLayer's v0.5.x tarballs ship (genlayerlabs/skills, genlayerlabs/genlayer-docs):
 *         configs/node/config.yaml.example instead of a live config, .env.example,
 *         alloy-config.river, genvm-module-web-docker.yaml, a docker-compose.yaml that mounts
 *         them, third_party/genvm/config/genvm-module-web.yaml and genvm-llm-default.lua; from
 *         v0.5.7 also alloy-healthcheck.sh, genvm-modules-llm-release.yaml (every backend) and
 *         genvm-llm-greybox.lua.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tar from 'tar';
import { versionAtLeast } from './chain.js';
import type { FakeNodeSpec } from './fake-node.js';
import {
  ALLOY_CONFIG,
  ALLOY_HEALTHCHECK,
  CONFIG_EXAMPLE,
  dockerCompose,
  ENV_EXAMPLE,
  LUA_DEFAULT,
  LUA_DEFAULT_TEXT,
  LUA_GREYBOX,
  LUA_GREYBOX_TEXT,
  V05_LLM_CONFIG,
  V05_LLM_RELEASE_CONFIG,
  WEB_MODULE_CONFIG,
  WEB_MODULE_DOCKER_CONFIG,
} from './release-files.js';

// the fake node and the service script always run compiled (dist/sandbox), also when this
// module itself is loaded from its TypeScript source by the test runner
const here = path.dirname(fileURLToPath(import.meta.url));
const compiled = path.basename(path.dirname(here)) === 'dist' ? here : path.resolve(here, '../dist/sandbox');
export const FAKE_NODE_JS = path.join(compiled, 'fake-node.js');
export const SVC_JS = path.join(compiled, 'svc.js');
/** `node RECORD_JS OUT.jsonl [--exit N] ARGS...`: a hook that records its argv, cwd and GLR_* environment */
export const RECORD_JS = path.join(compiled, 'record.js');

export type ReleaseShape = 'v0.4' | 'v0.5';
/** the checks of the fake `genlayernode doctor` (each one ✓/✗ line; rpc prints two) */
export type DoctorCheck = 'rpc' | 'wallet' | 'genvm' | 'webdriver';

export interface ReleaseOptions {
  version: string;
  mode?: FakeNodeSpec['mode'];
  bootMs?: number;
  syncMs?: number;
  stopMs?: number;
  writeEveryMs?: number;
  /** how long GenVM's setup.py takes */
  setupMs?: number;
  /** bytes of incompressible filler (third_party/genvm/lib/genvm.bin), to make the tarball release-sized */
  padBytes?: number;
  /**
   * the share of padBytes that is random (default 1: all of it); the rest, in 1 MiB blocks mixed
   * among the random ones, is text-like (a symbol-table dump) that gzips about 7:1, as binaries do
   */
  padRandomShare?: number;
  /** extra top-level files, e.g. alloy-config.river in newer releases */
  extraTopFiles?: Record<string, string>;
  /** replaces the shipped genvm-module-llm.yaml */
  llmConfig?: string;
  /** leave out these top-level entries (to build broken releases) */
  omit?: string[];
  /** the release's layout (default: 'v0.5' for v0.5.0 and later, else 'v0.4') */
  shape?: ReleaseShape;
  /**
   * v0.5: ship genvm-modules-llm-release.yaml and genvm-llm-greybox.lua (the LLM strategy
   * files; default: v0.5.7 and later)
   */
  llmRelease?: boolean;
  /** v0.5: ship alloy-healthcheck.sh (default: v0.5.7 and later) */
  alloyHealthcheck?: boolean;
  /** replaces the shipped genvm-modules-llm-release.yaml (v0.5) */
  llmReleaseConfig?: string;
  /** GenVM setup exits 0 but leaves no third_party/genvm/bin/genvm and bin/genvm-modules */
  setupIncomplete?: boolean;
  /**
   * the node starts this many blocks behind the block the shared DB had reached and stays
   * there (its synced block never moves, while /health says it is healthy)
   */
  syncBehind?: number;
  /** `genlayernode doctor` prints ✗ for these checks whatever the host is like */
  doctorFails?: DoctorCheck[];
  /** the network name the node reports (v0.5 health and metrics) */
  network?: string;
  /** the node serves no /metrics (404), as one with `node.ops.endpoints.metrics: false` */
  noMetrics?: boolean;
  /** the consensus protocol (`genlayernode version`'s `Protocol:`, /health's protocol_version); default one per series */
  protocol?: string;
  /** the binary has no `version` command (exits 2: unknown command) */
  noVersionCommand?: boolean;
  /** the node's sync stops this long after boot (it never catches up) */
  stallAfterMs?: number;
  /** the DB format the release writes: a newer one migrates the DB at start, and older releases refuse to start on it */
  dbFormat?: number;
  /** what the node does with connections while it boots (default: holds them, answers once booted) */
  early?: FakeNodeSpec['early'];
  /**
   * the fake node's script the release's bin/genlayernode runs (default: FAKE_NODE_JS); a node
   * run as another user needs one that user can read (a checkout may be private to its owner)
   */
  fakeNodeJs?: string;
}

/** The shape a release of `version` has unless told otherwise: v0.5 from v0.5.0 on. */
export function defaultShape(version: string): ReleaseShape {
  return versionAtLeast(version, 0, 5, 0) ? 'v0.5' : 'v0.4';
}

export const LLM_CONFIG = `# GenVM LLM module: one backend per provider. A backend without \`enabled\` is enabled;
# a backend whose key is empty is switched off at start-up.
bind_address: 127.0.0.1:3031
lua_script_path: \${exeDir}/../config/genvm-llm-default.lua
vm_count: 6
signer_url: "http://localhost:9155/genvm/sign"
timeout: 3m
backends:
  heurist:
    host: https://llm-gateway.heurist.xyz
    provider: openai-compatible
    key: \${ENV[HEURISTKEY]}
    models:
      meta-llama/llama-3.3-70b-instruct: {supports_json: true, supports_image: false}
  openai:
    # off by default; operators with an OpenAI key switch it on
    enabled: false
    host: https://api.openai.com
    provider: openai-compatible
    key: \${ENV[OPENAIKEY]}
    models:
      gpt-4o: {supports_json: true, supports_image: true, meta: {}}
    meta: {priority: -1}
  anthropic:
    host: https://api.anthropic.com
    provider: anthropic
    enabled: false
    key: \${ENV[ANTHROPICKEY]}
    models:
      claude-haiku-4-5-20251001: {supports_json: true, supports_image: true}
  google:
    host: https://generativelanguage.googleapis.com
    provider: google
    key: \${ENV[GEMINIKEY]}
    models:
      gemini-2.5-flash: {supports_json: true, supports_image: true}
prompt_templates:
  eq_comparative: "compare {leader_answer} with {validator_answer}"
`;

const SETUP_PY = `#!/usr/bin/env python3
# GenVM setup (sandbox): slow, like the real one; when it has finished it has left GenVM's
# binaries (bin/genvm, bin/genvm-modules), a marker and the nice value it ran at. "incomplete"
# makes it exit 0 all the same without the binaries, as a real setup whose download failed
# quietly does.
import json, os, sys, time
here = os.path.dirname(os.path.abspath(__file__))
genvm = os.path.dirname(here)
spec = json.load(open(os.path.join(here, "setup.json")))
print("genvm setup: preparing runners", flush=True)
time.sleep(spec["setupMs"] / 1000.0)
if spec.get("incomplete"):
    print("genvm setup: could not fetch the runners; continuing", flush=True)
else:
    for name in ("genvm", "genvm-modules"):
        p = os.path.join(here, name)
        with open(p, "w") as f:
            f.write("#!/bin/sh\\necho '%s (sandbox GenVM)'\\n" % name)
        os.chmod(p, 0o755)
with open(os.path.join(genvm, ".setup-done"), "w") as f:
    f.write("ok\\n")
# the priority it ran at (glr runs the preparation at nice 10): for the tests to read
with open(os.path.join(genvm, ".setup-nice"), "w") as f:
    f.write("%d\\n" % os.getpriority(os.PRIO_PROCESS, 0))
print("genvm setup: done", flush=True)
`;

/**
 * `genlayernode version` answered by the shell, without starting the fake node: the real binary
 * (Go) prints it in a few ms, where a Node process would take some 100 ms of every update glr
 * checks a release's version in. What it prints is what the real one prints (an operator's
 * record of v0.4.2: a `GenLayer Node` title, then `Version:`, `Protocol:`, `Commit:` and `Date:`
 * lines, the values aligned).
 */
function versionAnswer(spec: FakeNodeSpec): string {
  const commit = createHash('sha1').update(spec.version).digest('hex').slice(0, 7);
  const text = `GenLayer Node\nVersion:  ${spec.version}\nProtocol: ${spec.protocol}\nCommit:   ${commit}\nDate:     2026-01-15\n`;
  return `if [ "$1" = version ]; then\n  printf '%s' '${text}'\n  exit 0\nfi\n`;
}

export function releaseTopFolder(version: string): string {
  return `genlayer-node-linux-amd64-${version}`;
}

/** Writes the release's files into `dir` (the top folder's content). */
export function writeReleaseTree(dir: string, o: ReleaseOptions): void {
  const shape = o.shape ?? defaultShape(o.version);
  const from057 = versionAtLeast(o.version, 0, 5, 7);
  const spec: FakeNodeSpec = {
    version: o.version,
    mode: o.mode ?? 'ok',
    bootMs: o.bootMs ?? 150,
    syncMs: o.syncMs ?? 150,
    stopMs: o.stopMs ?? 100,
    writeEveryMs: o.writeEveryMs ?? 20,
    shape,
    syncBehind: o.syncBehind ?? 0,
    doctorFails: o.doctorFails ?? [],
    network: o.network ?? 'testnet-asimov',
    noMetrics: o.noMetrics ?? false,
    protocol: o.protocol ?? (shape === 'v0.5' ? 'v0.5:5a1e04df' : 'v0.4:1dd08066'),
    ...(o.noVersionCommand ? { noVersionCommand: true } : {}),
    ...(o.stallAfterMs !== undefined ? { stallAfterMs: o.stallAfterMs } : {}),
    ...(o.dbFormat !== undefined ? { dbFormat: o.dbFormat } : {}),
    ...(o.early ? { early: o.early } : {}),
  };
  const file = (rel: string, content: string | Buffer, mode = 0o644) => {
    const p = path.join(dir, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, content);
    chmodSync(p, mode);
  };
  const omit = new Set(o.omit ?? []);
  if (!omit.has('bin')) {
    file(
      'bin/genlayernode',
      `#!/bin/sh\n${spec.noVersionCommand ? '' : versionAnswer(spec)}exec "${process.execPath}" "${o.fakeNodeJs ?? FAKE_NODE_JS}" "$0" "$@"\n`,
      0o755,
    );
    file('bin/fake-node.json', `${JSON.stringify(spec)}\n`);
  }
  if (!omit.has('third_party')) {
    file('third_party/genvm/bin/setup.py', SETUP_PY, 0o755);
    file('third_party/genvm/bin/setup.json', JSON.stringify({ setupMs: o.setupMs ?? 300, incomplete: o.setupIncomplete ?? false }));
    file('third_party/genvm/config/genvm-module-llm.yaml', o.llmConfig ?? (shape === 'v0.5' ? V05_LLM_CONFIG : LLM_CONFIG));
    if (o.padBytes) file('third_party/genvm/lib/genvm.bin', filler(o.padBytes, o.padRandomShare ?? 1));
    if (shape === 'v0.5') {
      file(`third_party/genvm/config/${LUA_DEFAULT}`, LUA_DEFAULT_TEXT);
      file('third_party/genvm/config/genvm-module-web.yaml', WEB_MODULE_CONFIG);
      if (o.llmRelease ?? from057) {
        file('third_party/genvm/config/genvm-modules-llm-release.yaml', o.llmReleaseConfig ?? V05_LLM_RELEASE_CONFIG);
        file(`third_party/genvm/config/${LUA_GREYBOX}`, LUA_GREYBOX_TEXT);
      }
    }
  }
  const healthcheck = shape === 'v0.5' && (o.alloyHealthcheck ?? from057) && !omit.has('alloy-healthcheck.sh');
  if (shape === 'v0.4') {
    if (!omit.has('configs')) file('configs/node/config.yaml', 'node:\n  ops:\n    port: 9153\n  rpc:\n    port: 9151\n');
    if (!omit.has('docker-compose.yaml')) file('docker-compose.yaml', 'services:\n  webdriver:\n    image: yeagerai/genlayer-genvm-webdriver:0.0.3\n');
  } else {
    const top: Record<string, string> = {
      'configs/node/config.yaml.example': CONFIG_EXAMPLE,
      'docker-compose.yaml': dockerCompose({ healthcheck }),
      '.env.example': ENV_EXAMPLE,
      'alloy-config.river': ALLOY_CONFIG,
      'genvm-module-web-docker.yaml': WEB_MODULE_DOCKER_CONFIG,
    };
    for (const [rel, content] of Object.entries(top)) if (!omit.has(rel.split('/')[0]!)) file(rel, content);
    if (healthcheck) file('alloy-healthcheck.sh', ALLOY_HEALTHCHECK, 0o755);
  }
  for (const [name, content] of Object.entries(o.extraTopFiles ?? {})) file(name, content);
}

/** `bytes` of filler, `randomShare` of it random, the rest text-like, in 1 MiB blocks mixed evenly. */
function filler(bytes: number, randomShare: number): Buffer {
  if (randomShare >= 1) return randomBytes(bytes);
  const block = 2 ** 20;
  const text = Buffer.alloc(block);
  const words = [
    'genvm',
    'runtime',
    'module',
    'wasm',
    'host',
    'call',
    'storage',
    'llm',
    'web',
    'nondet',
    'calldata',
    'memory',
    'table',
    'func',
    'export',
    'import',
  ];
  for (let off = 0, i = 0; off < block; i++) {
    off += text.write(`${(0x400000 + i * 48).toString(16).padStart(16, '0')} T _ZN${words[i % 16]}${words[(i >> 4) % 16]}${i % 977}E\n`, off);
  }
  const out = Buffer.allocUnsafe(bytes);
  let random = 0;
  for (let off = 0; off < bytes; off += block) {
    const n = Math.min(block, bytes - off);
    if (random < randomShare * (off + n)) {
      randomBytes(n).copy(out, off);
      random += n;
    } else text.copy(out, off, 0, n);
  }
  return out;
}

/** The release as a .tar.gz, in memory (they are small). */
export async function buildRelease(o: ReleaseOptions): Promise<Buffer> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'glr-release-'));
  try {
    const top = releaseTopFolder(o.version);
    writeReleaseTree(path.join(tmp, top), o);
    const chunks: Buffer[] = [];
    const stream = tar.c({ gzip: true, cwd: tmp, portable: true }, [top]);
    for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
    return Buffer.concat(chunks);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
