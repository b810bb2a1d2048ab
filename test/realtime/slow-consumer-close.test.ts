// A stalled subscriber over a real TCP socket: once the server decides to drop it (4010), the
// reader must get the `disconnect` message and a Close 4010 right after what the kernel already
// held (not after megabytes still queued in user space), and the server must end TCP within the
// close timeout. Closes are counted by the code the server decided, not as 1006.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import diagnosticsChannel from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import { DiagnosticsChannel } from '../../src/engine/index.ts';
import { createMetrics } from '../../src/http/metrics.ts';
import { frames, RawClient } from '../helpers/raw.ts';
import { openClient, startHub, type Hub } from '../helpers/realtime.ts';

const NAMESPACES = {
  feed: { slowConsumerPolicy: 'close' as const, presence: false, historySize: 0, recoverOnJoin: 0 },
};
const CLOSE_TIMEOUT_MS = 1500;
const THRESHOLD = 1024 * 1024;
const MiB = 1024 * 1024;
const PAYLOAD = 'x'.repeat(4000);

interface CloseRecord {
  code: number;
  decidedCode: unknown;
  at: number;
}

/** Records the engine's close diagnostics of server sockets. */
function watchCloses(t: TestContext): CloseRecord[] {
  const closes: CloseRecord[] = [];
  const onClose = (m: unknown): void => {
    const msg = m as { socket: { isServer: boolean }; code: number; decidedCode?: unknown };
    if (msg.socket.isServer) closes.push({ code: msg.code, decidedCode: msg.decidedCode, at: performance.now() });
  };
  diagnosticsChannel.subscribe(DiagnosticsChannel.CLOSE, onClose);
  t.after(() => diagnosticsChannel.unsubscribe(DiagnosticsChannel.CLOSE, onClose));
  return closes;
}

/** A raw subscriber of `feed:live`: connected and subscribed, then paused (the kernel buffers fill). */
async function stalledSubscriber(hub: Hub): Promise<RawClient> {
  const raw = await RawClient.open(hub.port, {
    path: '/ws',
    protocols: 'switchboard.v1.json',
    origin: 'https://app.example.com',
  });
  const token = await hub.token('stalled');
  await raw.write(frames.text(JSON.stringify({ type: 'connect', token, rid: 1 })));
  assert.equal(JSON.parse((await raw.readMessage()).data.toString('utf8')).type, 'connected');
  await raw.write(frames.text(JSON.stringify({ type: 'subscribe', channel: 'feed:live', rid: 2 })));
  assert.equal(JSON.parse((await raw.readMessage()).data.toString('utf8')).type, 'subscribed');
  raw.stopReading();
  return raw;
}

/** Publishes until the hub decides the subscriber is slow; returns the decision time. */
async function floodUntilDecision(t: TestContext, hub: Hub, decided: () => number | null): Promise<number> {
  const pub = await openClient(t, hub, 'pub', { roles: [] });
  for (let i = 0; decided() === null; i++) {
    assert.ok(i < 20_000, 'the hub never decided the subscriber was slow');
    pub.send({ type: 'publish', channel: 'feed:live', data: PAYLOAD, id: `p${i}` });
    // Let the fan-out run and the writes happen between publications.
    if (i % 8 === 7) await new Promise((r) => setImmediate(r));
  }
  return decided()!;
}

/** Reads everything the stalled reader gets until the server ends TCP; answers the Close (a well-behaved client). */
async function drain(
  raw: RawClient,
  timeoutMs: number,
): Promise<{
  publications: number;
  lastOffset: number;
  frameBytes: number;
  disconnect: Record<string, unknown> | null;
  closeCode: number | null;
  ended: boolean;
}> {
  let publications = 0;
  let lastOffset = 0;
  let frameBytes = 0;
  let disconnect: Record<string, unknown> | null = null;
  let closeCode: number | null = null;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let frame: Awaited<ReturnType<RawClient['readFrame']>>;
    try {
      frame = await raw.readFrame(Math.max(1, deadline - Date.now()));
    } catch {
      break; // end of stream (or timeout: `ended` tells which)
    }
    if (frame.opcode === 0x8) {
      closeCode = frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005;
      await raw.write(frames.close(closeCode));
      continue;
    }
    if (frame.opcode !== 0x1) continue;
    const message = JSON.parse(frame.payload.toString('utf8')) as Record<string, unknown>;
    if (message['type'] === 'publication') {
      publications++;
      lastOffset = message['offset'] as number;
      frameBytes = frame.payload.length + 4;
    } else if (message['type'] === 'disconnect') disconnect = message;
  }
  return { publications, lastOffset, frameBytes, disconnect, closeCode, ended: raw.ended || raw.closed };
}

/** Reads at about `bytesPerSecond` (a reader on a slow link): pauses whenever it got ahead. */
function readSlowly(raw: RawClient, bytesPerSecond: number): void {
  const start = performance.now();
  let bytes = 0;
  raw.socket.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    const aheadMs = (bytes / bytesPerSecond) * 1000 - (performance.now() - start);
    if (aheadMs <= 0) return;
    raw.socket.pause();
    setTimeout(() => raw.socket.resume(), aheadMs);
  });
  raw.startReading();
}

interface Scenario {
  /** Bytes a session may have buffered before the hub drops it. */
  readonly threshold?: number;
  readonly closeTimeoutMs?: number;
  /** How long the reader stays stalled after the decision. */
  readonly resumeAfterMs: number;
  /** Then reads at this rate (bytes/s); at full speed when absent. */
  readonly readRate?: number;
}

async function scenario(
  t: TestContext,
  { threshold = THRESHOLD, closeTimeoutMs = CLOSE_TIMEOUT_MS, resumeAfterMs, readRate }: Scenario,
) {
  let decidedAt: number | null = null;
  // At the decision: the publications fanned out so far (the last offset queued for the stalled
  // reader) and the bytes its socket still held in user space.
  let published = 0;
  let lastQueued = 0;
  let backlog = 0;
  const hub: Hub = await startHub(t, {
    namespaces: NAMESPACES,
    slowConsumerBytes: threshold,
    engine: { closeTimeoutMs },
    rateLimit: { messagesPerSecond: 1e6, messagesBurst: 1e6, bytesPerSecond: 1e12, bytesBurst: 1e12 },
    observer: {
      delivered: () => void published++,
      slowConsumer: (action) => {
        if (action !== 'closed' || decidedAt !== null) return;
        decidedAt = performance.now();
        lastQueued = published;
        backlog = [...hub.hub.sessions].find((s) => s.user === 'stalled')!.transport.bufferedAmount;
      },
    },
  });
  const closes = watchCloses(t);
  const raw = await stalledSubscriber(hub);
  t.after(() => raw.destroy());
  const decision = await floodUntilDecision(t, hub, () => decidedAt);
  await new Promise((r) => setTimeout(r, resumeAfterMs));
  if (readRate === undefined) raw.startReading();
  else readSlowly(raw, readRate);
  const got = await drain(raw, closeTimeoutMs * 4);
  // The server's close event may follow the FIN the reader saw by a moment.
  for (let i = 0; i < 100 && !closes.some((c) => c.at >= decision); i++) await new Promise((r) => setTimeout(r, 20));
  const serverClose = closes.find((c) => c.at >= decision) ?? null;
  const finAfterMs = serverClose === null ? null : Math.round(serverClose.at - decision);
  const skipped = lastQueued - got.lastOffset;
  const backlogPublications = Math.floor(backlog / Math.max(1, got.frameBytes));
  t.diagnostic(
    `backlog in user space at the decision: ${backlog} bytes (~${backlogPublications} publications); publications read after stalling: ${got.publications}, the last offset ${got.lastOffset} of ${lastQueued} queued (${skipped} discarded); disconnect: ${JSON.stringify(got.disconnect)}; Close frame: ${got.closeCode}; server closed TCP ${finAfterMs} ms after the decision; close counted as ${JSON.stringify(serverClose)}`,
  );
  return { got, serverClose, finAfterMs, skipped, backlogPublications };
}

test('slow consumer: a reader that resumes before the close timeout gets disconnect 4010 and Close 4010 before the FIN', async (t) => {
  const { got, serverClose, finAfterMs, skipped, backlogPublications } = await scenario(t, { resumeAfterMs: 200 });
  assert.ok(backlogPublications > 100, `a backlog built up in user space (${backlogPublications} publications)`);
  // What libuv already held (one write) may still arrive; the rest of the backlog must not.
  assert.ok(
    skipped >= backlogPublications / 2,
    `the backlog was discarded, not delivered before the Close (${skipped} of ~${backlogPublications})`,
  );
  assert.deepEqual(
    [got.disconnect?.['code'], got.disconnect?.['reconnect']],
    [4010, true],
    'the disconnect message arrived',
  );
  assert.equal(got.closeCode, 4010, 'the Close frame carries the decided code');
  assert.ok(got.ended, 'the server ended TCP');
  assert.ok(
    finAfterMs !== null && finAfterMs <= CLOSE_TIMEOUT_MS,
    `the server closed TCP within the close timeout (${finAfterMs} ms)`,
  );
  assert.deepEqual(
    [serverClose!.code, serverClose!.decidedCode],
    [4010, 4010],
    'a clean close, counted by the decided code',
  );
});

test('slow consumer: a reader that never resumes in time is cut off at the close timeout and counted as 4010', async (t) => {
  const metrics = createMetrics({ defaultMetrics: false });
  t.after(() => metrics.close());
  const { serverClose, finAfterMs } = await scenario(t, { resumeAfterMs: CLOSE_TIMEOUT_MS + 1000 });
  const text = await metrics.render();
  assert.match(text, /^switchboard_connections_closed_total\{code="4010"\} 1$/m, '/metrics counts the decided code');
  assert.doesNotMatch(text, /^switchboard_connections_closed_total\{code="1006"\}/m);
  assert.ok(
    finAfterMs !== null && finAfterMs <= CLOSE_TIMEOUT_MS + 500,
    `the server closed TCP within the close timeout (${finAfterMs} ms)`,
  );
  assert.equal(serverClose!.code, 1006, 'locally the close event says what happened: no Close came back');
  assert.equal(serverClose!.decidedCode, 4010, 'the close is counted by the decided code');
});

test('slow consumer on a slow link (4 MiB threshold, 2 MB/s reader): the kernel-held bytes, then disconnect 4010 and Close 4010, well within the close timeout', async (t) => {
  const closeTimeoutMs = 3000;
  const { got, serverClose, finAfterMs, skipped, backlogPublications } = await scenario(t, {
    threshold: 4 * MiB,
    closeTimeoutMs,
    resumeAfterMs: 0,
    readRate: 2_000_000,
  });
  assert.ok(
    skipped >= backlogPublications / 2,
    `the 4 MiB backlog was discarded (${skipped} of ~${backlogPublications})`,
  );
  assert.deepEqual([got.disconnect?.['code'], got.closeCode], [4010, 4010], 'the reader learned why it was dropped');
  assert.ok(
    finAfterMs !== null && finAfterMs <= closeTimeoutMs,
    `the server closed TCP within the close timeout (${finAfterMs} ms)`,
  );
  assert.deepEqual([serverClose!.code, serverClose!.decidedCode], [4010, 4010]);
});
