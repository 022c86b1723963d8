import { buildRelease, type ReleaseOptions } from '../../sandbox/releases.js';
import { startReleaseServer, type ReleaseServer } from '../../sandbox/release-server.js';
import { SandboxHost, type HostOptions } from '../../sandbox/host.js';

export interface Sandbox {
  server: ReleaseServer;
  host: SandboxHost;
  /** builds a release and publishes it on the fake bucket */
  publish(o: ReleaseOptions): Promise<Buffer>;
  cleanup(): Promise<void>;
}

/** A release server and a runbook host running v0.4.3 (healthy), torn down by cleanup(). */
export async function createSandbox(o: Partial<Omit<HostOptions, 'server'>> = {}): Promise<Sandbox> {
  const server = await startReleaseServer();
  let host: SandboxHost;
  try {
    host = await SandboxHost.create({ server, ...o });
  } catch (e) {
    await server.close();
    throw e;
  }
  return {
    server,
    host,
    async publish(r) {
      const tarball = await buildRelease(r);
      server.add(r.version, tarball);
      return tarball;
    },
    async cleanup() {
      await host.cleanup();
      await server.close();
    },
  };
}
