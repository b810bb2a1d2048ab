// Node binding: ws's `createWebSocketStream`: a Duplex over an adapter WebSocket, with backpressure through pause()/resume().
import { Duplex, type DuplexOptions } from 'node:stream';
import type { WebSocket, WsMessageData } from './websocket.ts';

/**
 * Wraps a WebSocket in a Duplex stream (ws's `createWebSocketStream`): each message is pushed as
 * a chunk (text as a string in object mode), each written chunk is sent as a binary message (a
 * string chunk as text), ending the writable side closes the WebSocket, destroying the stream
 * terminates it. When the readable side is full the socket stops reading (`ws.pause()`).
 * @param ws - an open or connecting adapter WebSocket
 * @param options - Duplex options (`objectMode` and `writableObjectMode` are forced off, as in ws)
 * @returns the stream
 * @example
 * ```ts
 * const duplex = createWebSocketStream(new WebSocket('ws://127.0.0.1:8080/'), { encoding: 'utf8' });
 * duplex.pipe(process.stdout);
 * ```
 */
export function createWebSocketStream(ws: WebSocket, options?: DuplexOptions): Duplex {
  let terminateOnDestroy = true;
  const duplex = new Duplex({
    ...options,
    autoDestroy: false,
    emitClose: false,
    objectMode: false,
    writableObjectMode: false,
  });

  ws.on('message', (msg: WsMessageData, isBinary: boolean) => {
    const data = !isBinary && duplex.readableObjectMode ? (msg as Buffer).toString() : msg;
    if (!duplex.push(data)) ws.pause();
  });
  ws.once('error', (err: Error) => {
    if (duplex.destroyed) return;
    terminateOnDestroy = false;
    duplex.destroy(err);
  });
  ws.once('close', () => {
    if (duplex.destroyed) return;
    duplex.push(null);
  });

  duplex._destroy = (err, callback) => {
    if (ws.readyState === ws.CLOSED) {
      callback(err);
      process.nextTick(() => duplex.emit('close'));
      return;
    }
    let called = false;
    ws.once('error', (error: Error) => {
      called = true;
      callback(error);
    });
    ws.once('close', () => {
      if (!called) callback(err);
      process.nextTick(() => duplex.emit('close'));
    });
    if (terminateOnDestroy) ws.terminate();
  };

  duplex._final = (callback) => {
    if (ws.readyState === ws.CONNECTING) {
      ws.once('open', () => duplex._final(callback));
      return;
    }
    if (ws.readyState === ws.CLOSED) {
      callback();
      if (duplex.readableEnded) duplex.destroy();
      return;
    }
    ws.once('close', () => callback());
    ws.close();
  };

  duplex._read = () => {
    if (ws.isPaused) ws.resume();
  };

  duplex._write = (chunk: Buffer | string, _encoding, callback) => {
    if (ws.readyState === ws.CONNECTING) {
      ws.once('open', () => duplex._write(chunk, _encoding, callback));
      return;
    }
    ws.send(chunk, (err) => callback(err ?? null));
  };

  duplex.on('end', () => {
    if (!duplex.destroyed && duplex.writableFinished) duplex.destroy();
  });
  const onError = (err: Error): void => {
    duplex.removeListener('error', onError);
    duplex.destroy();
    if (duplex.listenerCount('error') === 0) duplex.emit('error', err);
  };
  duplex.on('error', onError);
  return duplex;
}
