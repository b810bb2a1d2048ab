// ws README, "How to detect and close broken connections" (client side). Verbatim except: the import ('ws' ->
// our adapter), the URL (the test's server), the delay 30000 + 1000 -> 100 + 400 to match the test's server
// interval, and the last line.
import WebSocket from '../../../src/engine/ws-compat.ts';

function heartbeat() {
  clearTimeout(this.pingTimeout);

  // Use `WebSocket#terminate()`, which immediately destroys the connection,
  // instead of `WebSocket#close()`, which waits for the close timer.
  // Delay should be equal to the interval at which your server
  // sends out pings plus a conservative assumption of the latency.
  this.pingTimeout = setTimeout(() => {
    this.terminate();
  }, 100 + 400);
}

const client = new WebSocket(process.env.WS_README_URL);

client.on('error', console.error);
client.on('open', heartbeat);
client.on('ping', heartbeat);
client.on('close', function clear() {
  clearTimeout(this.pingTimeout);
});

export { client };
