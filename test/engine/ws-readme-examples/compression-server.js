// ws README, "WebSocket compression" (server). Verbatim except: the import ('ws' -> our adapter), port 8080 -> 0,
// and the last line, which hands the server to the test.
import { WebSocketServer } from '../../../src/engine/ws-compat.ts';

const wss = new WebSocketServer({
  port: 0,
  perMessageDeflate: {
    zlibDeflateOptions: {
      // See zlib defaults.
      chunkSize: 1024,
      memLevel: 7,
      level: 3
    },
    zlibInflateOptions: {
      chunkSize: 10 * 1024
    },
    // Other options settable:
    clientNoContextTakeover: true, // Defaults to negotiated value.
    serverNoContextTakeover: true, // Defaults to negotiated value.
    serverMaxWindowBits: 10, // Defaults to negotiated value.
    // Below options specified as default values.
    concurrencyLimit: 10, // Limits zlib concurrency for perf.
    threshold: 1024 // Size (in bytes) below which messages
    // should not be compressed if context takeover is disabled.
  }
});

export { wss };
