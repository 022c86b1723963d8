import type { Desired } from '../desired/types.js';

/** Human wording shared by plan descriptions. */
export function serviceName(d: Desired): string {
  return d.service.manager === 'systemd' ? `systemd unit ${d.service.unit}` : 'the node (service commands)';
}

export function providerList(providers: Record<string, boolean>): string {
  return Object.entries(providers)
    .map(([n, on]) => `${n} ${on ? 'on' : 'off'}`)
    .join(', ');
}

export function list(names: readonly string[]): string {
  return names.join(', ');
}
