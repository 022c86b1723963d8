import type { ServiceSpec } from './service.js';

/**
 * How messages name the service manager of a `service:` section, e.g. "systemd unit
 * genlayer-node" or "the node service (status: /usr/local/bin/node-status)". Pure: the planner
 * names it in a refusal with the same words the switch window uses.
 */
export function serviceDescription(spec: ServiceSpec): string {
  return spec.manager === 'systemd' ? `systemd unit ${spec.unit}` : `the node service (status: ${spec.status[0]})`;
}
