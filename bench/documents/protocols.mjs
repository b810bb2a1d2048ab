// Documents benchmark: the three wire protocols an editor of the load generator speaks.
//   yws          y-websocket's binary protocol, one document per connection (`/<name>`): @y/websocket-server,
//                and Switchboard's compatible `/yjs/<name>` endpoint (`switchboard-yjs`)
//   hocuspocus   the same messages, each prefixed with the document name (varString), after an Auth message
//   switchboard  Switchboard's JSON protocol: connect, subscribe, then `doc` messages with base64 Yjs bytes, each with
//                a rid and `quiet` as the SDK's provider sends them (the server answers only a refusal); option
//                `rid: 'reply'` leaves `quiet` out (the server answers each with a `reply`, as Hocuspocus answers each
//                update with a SyncStatus message), `rid: 'none'` sends no rid
//   switchboard-msgpack  the same messages in Switchboard's MessagePack protocol (`data` is base64 text there too)
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { pack, unpack } from 'msgpackr';

const MESSAGE_SYNC = 0;
const MESSAGE_AUTH = 2;
const SYNC_STEP1 = 0;
const SYNC_STEP2 = 1;
const SYNC_UPDATE = 2;
/** Hocuspocus answers a client's sync step 1 with this message type (same body as a sync message). */
const HOCUSPOCUS_SYNC_REPLY = 4;

/**
 * @typedef {{ step1(sv: Uint8Array): void, step2(update: Uint8Array): void, update(update: Uint8Array): void }} Events
 * @typedef {{
 *   url: string, protocols?: string[],
 *   opening(): (string|Uint8Array)[],
 *   sync1(sv: Uint8Array): string|Uint8Array,
 *   sync2(update: Uint8Array): string|Uint8Array,
 *   update(update: Uint8Array): string|Uint8Array,
 *   receive(data: Buffer|string, events: Events, send: (m: string|Uint8Array) => void): void,
 * }} Wire
 */

function syncMessage(prefix, sub, bytes) {
  const e = encoding.createEncoder();
  if (prefix !== null) encoding.writeVarString(e, prefix);
  encoding.writeVarUint(e, MESSAGE_SYNC);
  encoding.writeVarUint(e, sub);
  encoding.writeVarUint8Array(e, bytes);
  return encoding.toUint8Array(e);
}

function readSync(d, events) {
  const sub = decoding.readVarUint(d);
  const bytes = decoding.readVarUint8Array(d);
  if (sub === SYNC_STEP1) events.step1(bytes);
  else if (sub === SYNC_STEP2) events.step2(bytes);
  else if (sub === SYNC_UPDATE) events.update(bytes);
}

/** @returns {Wire} */
export function wire(kind, port, name, { rid = 'quiet' } = {}) {
  if (kind === 'yws' || kind === 'switchboard-yjs') {
    const path = kind === 'yws' ? `/${encodeURIComponent(name)}` : `/yjs/${encodeURIComponent(name)}`;
    return {
      url: `ws://127.0.0.1:${port}${path}`,
      opening: () => [],
      sync1: (sv) => syncMessage(null, SYNC_STEP1, sv),
      sync2: (u) => syncMessage(null, SYNC_STEP2, u),
      update: (u) => syncMessage(null, SYNC_UPDATE, u),
      receive(data, events) {
        const d = decoding.createDecoder(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
        if (decoding.readVarUint(d) === MESSAGE_SYNC) readSync(d, events);
      },
    };
  }
  if (kind === 'hocuspocus') {
    return {
      url: `ws://127.0.0.1:${port}/`,
      opening: () => {
        const e = encoding.createEncoder();
        encoding.writeVarString(e, name);
        encoding.writeVarUint(e, MESSAGE_AUTH);
        encoding.writeVarUint(e, 0); // AuthMessageType.Token
        encoding.writeVarString(e, '');
        return [encoding.toUint8Array(e)];
      },
      sync1: (sv) => syncMessage(name, SYNC_STEP1, sv),
      sync2: (u) => syncMessage(name, SYNC_STEP2, u),
      update: (u) => syncMessage(name, SYNC_UPDATE, u),
      receive(data, events) {
        const d = decoding.createDecoder(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
        decoding.readVarString(d);
        const type = decoding.readVarUint(d);
        if (type === MESSAGE_SYNC || type === HOCUSPOCUS_SYNC_REPLY) readSync(d, events);
      },
    };
  }
  if (kind === 'switchboard' || kind === 'switchboard-msgpack') {
    const msgpack = kind === 'switchboard-msgpack';
    const encode = msgpack ? pack : JSON.stringify;
    const decode = msgpack ? unpack : (data) => JSON.parse(String(data));
    const channel = `doc:${name}`;
    // As the SDK's provider sends them (src/client/live-calls.ts), unless `rid` says otherwise.
    let nextRid = 3;
    const base64 = (bytes) => Buffer.from(bytes).toString('base64');
    const doc =
      rid === 'quiet'
        ? (k, bytes) => encode({ type: 'doc', rid: nextRid++, channel, kind: k, data: base64(bytes), quiet: true })
        : rid === 'reply'
          ? (k, bytes) => encode({ type: 'doc', rid: nextRid++, channel, kind: k, data: base64(bytes) })
          : (k, bytes) => encode({ type: 'doc', channel, kind: k, data: base64(bytes) });
    return {
      url: `ws://127.0.0.1:${port}/ws`,
      protocols: [msgpack ? 'switchboard.v1.msgpack' : 'switchboard.v1.json'],
      opening: () => [encode({ type: 'connect', rid: 1 })],
      sync1: (sv) => doc('sync1', sv),
      sync2: (u) => doc('sync2', u),
      update: (u) => doc('update', u),
      receive(data, events, send) {
        const m = decode(data);
        if (m.type === 'connected') send(encode({ type: 'subscribe', rid: 2, channel }));
        else if (m.type === 'subscribed') events.subscribed?.();
        else if (m.type === 'doc' && m.channel === channel) {
          const bytes = Buffer.from(m.data, 'base64');
          if (m.kind === 'sync1') events.step1(bytes);
          else if (m.kind === 'sync2') events.step2(bytes);
          else if (m.kind === 'update') events.update(bytes);
        } else if (m.type === 'error') process.stderr.write(`switchboard error: ${JSON.stringify(m)}\n`);
      },
    };
  }
  throw new Error(`unknown protocol ${kind}`);
}

/**
 * The first struct of a Yjs v1 update: [client, clock]; the editor that made it and its edit number follow from them.
 * @returns {[number, number] | null}
 */
export function firstStruct(update) {
  const d = decoding.createDecoder(update);
  if (decoding.readVarUint(d) === 0) return null;
  if (decoding.readVarUint(d) === 0) return null;
  const client = decoding.readVarUint(d);
  const clock = decoding.readVarUint(d);
  return [client, clock];
}
