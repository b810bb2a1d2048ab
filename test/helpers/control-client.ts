// Test helper: a healthy control client (docs/security-cases.md §0.2) that stays connected through a hostile case and must still get echoes after.
import WebSocket from 'ws';

export interface ControlClient {
  /** Sends a unique message and fails unless the echo arrives within the timeout and the connection never dropped. */
  check(timeoutMs?: number): Promise<void>;
  /** True once the control connection closed (it never should during a test). */
  readonly dropped: boolean;
  close(): Promise<void>;
}

/** Opens a control client with the `ws` library (an independent, healthy peer). */
export async function openControl(url: string, timeoutMs = 5_000): Promise<ControlClient> {
  const ws = new WebSocket(url);
  const pending = new Map<string, () => void>();
  let dropped = false;
  let dropInfo = '';
  let seq = 0;
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    const text = String(data);
    const done = pending.get(text);
    if (done) {
      pending.delete(text);
      done();
    }
  });
  ws.on('error', () => undefined);
  ws.on('close', (code, reason) => {
    dropped = true;
    dropInfo = `${code} ${reason.toString()}`;
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('control client: open timed out')), timeoutMs);
    ws.once('open', () => {
      clearTimeout(timer);
      resolve();
    });
    ws.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
  return {
    get dropped() {
      return dropped;
    },
    async check(checkTimeoutMs = 5_000) {
      if (dropped) throw new Error(`control client was disconnected: ${dropInfo}`);
      const msg = `control-${process.pid}-${++seq}-${Math.random()}`;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(msg);
          reject(new Error(`control client: no echo within ${checkTimeoutMs} ms (dropped=${dropped} ${dropInfo})`));
        }, checkTimeoutMs);
        pending.set(msg, () => {
          clearTimeout(timer);
          resolve();
        });
        ws.send(msg);
      });
    },
    close() {
      return new Promise<void>((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) return resolve();
        const timer = setTimeout(() => {
          ws.terminate();
          resolve();
        }, 1_000);
        ws.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        ws.close(1000);
      });
    },
  };
}
