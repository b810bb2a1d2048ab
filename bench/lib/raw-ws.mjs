// The lean load clients' WebSocket side (bench/realtime/load.mjs, bench/logic/load.mjs, bench/feeds-ingest/load.mjs):
// raw `net` sockets, a fixed upgrade request, masked text frames out, and only the text frames read back (optionally
// inflated, with pings answered), so the client spends its CPU on the measure, not on a WebSocket library.
import net from 'node:net';
import { constants, inflateRawSync } from 'node:zlib';

const MASK = Buffer.from([0x12, 0x34, 0x56, 0x78]);
/** RFC 7692 §7.2.2: the four octets a sender removed from the end of each compressed message. */
const DEFLATE_TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const OPCODE_TEXT = 1;
const OPCODE_PING = 9;
const OPCODE_PONG = 0xa;

/**
 * One masked text frame (payloads under 64 KiB).
 * @param {string} text
 * @returns {Buffer}
 */
export function maskedTextFrame(text) {
  const payload = Buffer.from(text);
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x81, 0x80 | len]) : Buffer.from([0x81, 0x80 | 126, len >> 8, len & 255]);
  for (let i = 0; i < len; i++) payload[i] ^= MASK[i & 3];
  return Buffer.concat([head, MASK, payload]);
}

/**
 * A masked control frame (payload under 126 bytes), e.g. the pong answering a ping.
 * @param {number} opcode
 * @param {Buffer} payload
 * @returns {Buffer}
 */
export function controlFrame(opcode, payload) {
  const out = Buffer.alloc(6 + payload.length);
  out[0] = 0x80 | opcode;
  out[1] = 0x80 | payload.length;
  for (let i = 0; i < 4; i++) out[2 + i] = MASK[i];
  for (let i = 0; i < payload.length; i++) out[6 + i] = payload[i] ^ MASK[i & 3];
  return out;
}

/**
 * Opens one connection: sends `request`, waits for the 101, then hands each text frame's payload to `onText`.
 * With `pong`, pings are answered (a server's keepalive would otherwise close a long run); with `inflate`, compressed
 * text frames (permessage-deflate without context takeover) are inflated first.
 * @param {{ port: number, request: string, onText: (payload: Buffer, socket: net.Socket) => void, onClose: () => void, pong?: boolean, inflate?: boolean }} options
 * @returns {Promise<net.Socket>} once upgraded; rejects when the handshake is refused or the socket fails first
 */
export function openRaw({ port, request, onText, onClose, pong = false, inflate = false }) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    let buf = null;
    let upgraded = false;
    socket.on('error', reject);
    socket.on('close', onClose);
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk) => {
      buf = buf === null || buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        if (!buf.subarray(0, 12).toString().includes(' 101')) {
          reject(new Error(`handshake refused: ${buf.subarray(0, end).toString()}`));
          socket.destroy();
          return;
        }
        upgraded = true;
        buf = buf.subarray(end + 4);
        resolve(socket);
      }
      let off = 0;
      while (buf.length - off >= 2) {
        let len = buf[off + 1] & 127;
        let hdr = 2;
        if (len === 126) {
          if (buf.length - off < 4) break;
          len = buf.readUInt16BE(off + 2);
          hdr = 4;
        } else if (len === 127) {
          if (buf.length - off < 10) break;
          len = Number(buf.readBigUInt64BE(off + 2));
          hdr = 10;
        }
        if (buf.length - off < hdr + len) break;
        const opcode = buf[off] & 15;
        if (opcode === OPCODE_PING && pong)
          socket.write(controlFrame(OPCODE_PONG, buf.subarray(off + hdr, off + hdr + len)));
        if (opcode === OPCODE_TEXT) {
          let payload = buf.subarray(off + hdr, off + hdr + len);
          if (inflate && (buf[off] & 0x40) !== 0)
            payload = inflateRawSync(Buffer.concat([payload, DEFLATE_TAIL]), { finishFlush: constants.Z_SYNC_FLUSH });
          onText(payload, socket);
        }
        off += hdr + len;
      }
      buf = off === buf.length ? null : buf.subarray(off);
    });
  });
}
