// Test helper: the fixture for hostile-input cases (docs/security-cases.md §0): a server under test, a control client, raw attackers, and the after-checks.
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { RawClient, type HandshakeSpec } from './raw.ts';
import { startEcho, type EchoOptions, type EchoServer, type Impl } from './echo-server.ts';
import { openControl, type ControlClient } from './control-client.ts';
import { spawnEchoChild, type ChildServer, type SpawnOptions } from './memory.ts';

export interface HostileFixture {
  readonly server: EchoServer;
  readonly control: ControlClient;
  /** Raw TCP connection, no handshake sent. */
  connect(): Promise<RawClient>;
  /** Raw TCP connection after a successful handshake (fields overridable). */
  open(spec?: HandshakeSpec): Promise<RawClient>;
  /**
   * docs/security-cases.md §0.2 and §0.4: the control client still gets an echo, the server emitted no server-level error,
   * and once every raw socket is destroyed the server releases them (only the control connection remains).
   */
  verify(timeoutMs?: number): Promise<void>;
}

/** Impl under test; SWITCHBOARD_TEST_IMPL=ws runs the same cases against ws to compare. */
export const IMPL: Impl = process.env['SWITCHBOARD_TEST_IMPL'] === 'ws' ? 'ws' : 'switchboard';

/** Starts a server (engine options as given) plus a control client; everything is cleaned up in `t.after`. */
export async function hostile(t: TestContext, options: EchoOptions = {}): Promise<HostileFixture> {
  const server = await startEcho(IMPL, options);
  const raws: RawClient[] = [];
  const path = typeof options['path'] === 'string' ? options['path'] : '/';
  const control = await openControl(`ws://127.0.0.1:${server.port}${path}`);
  t.after(async () => {
    for (const r of raws) r.destroy();
    await control.close();
    await server.stop();
  });
  return {
    server,
    control,
    async connect() {
      const c = await RawClient.connect(server.port);
      raws.push(c);
      return c;
    },
    async open(spec = {}) {
      const c = await RawClient.open(server.port, { path, ...spec });
      raws.push(c);
      return c;
    },
    async verify(timeoutMs = 5_000) {
      await control.check();
      // Attackers still open at the end (positive cases) go away now; the server must then release them.
      for (const r of raws) r.destroy();
      assert.deepEqual(server.errors.map(String), [], 'server-level error events');
      const deadline = Date.now() + timeoutMs;
      while (server.connectionCount() > 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(server.connectionCount(), 1, 'only the control connection remains open on the server');
      assert.equal(control.dropped, false, 'control client still connected');
    },
  };
}

export interface ChildFixture {
  readonly child: ChildServer;
  readonly control: ControlClient;
  connect(): Promise<RawClient>;
  open(spec?: HandshakeSpec): Promise<RawClient>;
  /** Heap + array buffers of the server process after gc (the bytes a hostile peer can pin). */
  retained(): Promise<number>;
  /** §0.2-§0.4 for a child server: alive, no server error, raw sockets released, control client echoes. */
  verify(timeoutMs?: number): Promise<void>;
}

/** Like {@link hostile}, but the server runs in a child process (run with --expose-gc) so its memory can be measured alone. */
export async function hostileChild(
  t: TestContext,
  options: EchoOptions = {},
  spawn: Omit<SpawnOptions, 'options' | 'impl'> = {},
): Promise<ChildFixture> {
  const child = await spawnEchoChild({ ...spawn, impl: IMPL, options });
  const raws: RawClient[] = [];
  t.after(async () => {
    for (const r of raws) r.destroy();
    await control.close().catch(() => undefined);
    await child.stop();
  });
  const control = await openControl(child.url);
  return {
    child,
    control,
    async connect() {
      const c = await RawClient.connect(child.port);
      raws.push(c);
      return c;
    },
    async open(spec = {}) {
      const c = await RawClient.open(child.port, spec);
      raws.push(c);
      return c;
    },
    async retained() {
      const m = await child.mem();
      return m.heapUsed + m.arrayBuffers;
    },
    async verify(timeoutMs = 5_000) {
      assert.ok(child.alive(), `server process died: ${child.output.join('\n').slice(-2000)}`);
      await control.check();
      for (const r of raws) r.destroy();
      const deadline = Date.now() + timeoutMs;
      let stats = await child.stats();
      while (stats.connections > 1 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        stats = await child.stats();
      }
      assert.equal(stats.connections, 1, 'only the control connection remains open on the server');
      assert.equal(control.dropped, false, 'control client still connected');
      assert.ok(!child.output.some((l) => l.includes('"uncaught"')), child.output.join('\n'));
    },
  };
}
