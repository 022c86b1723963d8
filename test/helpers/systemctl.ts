import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SandboxHost } from '../../sandbox/host.js';
import { SVC_JS } from '../../sandbox/releases.js';

/**
 * A `systemctl` for one unit, as a shell script in a folder of its own: `show` tells the unit's
 * state from the sandbox host's status script and that the unit loads the root's .env, as
 * GenLayer's unit does (common-procedures.md, "Systemd Service"), with `TimeoutStopUSec` when
 * given; `is-enabled` prints what the file `enabled` holds (default: enabled); `start` runs the
 * sandbox's service script; `stop` runs `stop` (default: the service script). Returns the
 * environment to run glr with (that folder first on PATH) and the folder.
 */
export function fakeSystemctl(host: SandboxHost, o: { timeoutStop?: string; enabled?: string; stop?: string } = {}): { env: { PATH: string }; dir: string } {
  const bin = path.join(host.dir, 'fake-bin');
  mkdirSync(bin, { recursive: true });
  const service = (verb: string) => `exec '${process.execPath}' '${SVC_JS}' ${verb} --root '${host.root}' --state '${host.state}'`;
  writeFileSync(
    path.join(bin, 'systemctl'),
    [
      '#!/bin/sh',
      'case "$1" in',
      `  show) if /bin/sh '${host.statusScript}' '${host.state}'; then printf 'LoadState=loaded\\nActiveState=active\\nSubState=running\\n'; else printf 'LoadState=loaded\\nActiveState=inactive\\nSubState=dead\\n'; fi`,
      `    printf 'EnvironmentFiles=%s/.env (ignore_errors=no)\\n' '${host.root}'${o.timeoutStop ? `; printf 'TimeoutStopUSec=%s\\n' '${o.timeoutStop}'` : ''} ;;`,
      `  is-enabled) ${o.enabled ? `cat '${o.enabled}'; [ "$(cat '${o.enabled}')" = enabled ]` : 'echo enabled'} ;;`,
      `  start) ${service('start')} ;;`,
      `  stop) ${o.stop ?? service('stop')} ;;`,
      '  *) exit 1 ;;',
      'esac',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  return { env: { PATH: `${bin}:${process.env.PATH ?? ''}` }, dir: bin };
}
