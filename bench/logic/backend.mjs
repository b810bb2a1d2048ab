// Backend of the server-logic benchmark (bench/logic.mjs): a plain `node:http` server that allows every proxied
// request (`{}`), as the smallest application backend would. It reads the whole body (as a real one must, to parse
// it) but does not verify the signature, so the figure is the proxy's cost, not the backend's HMAC.
// Prints `listening PORT`; on SIGTERM or when stdin closes, prints `served N requests over C connections` and exits.
import http from 'node:http';

const ALLOW = Buffer.from('{}');
let requests = 0;
const server = http.createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    requests++;
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': ALLOW.length });
    res.end(ALLOW);
  });
});
let connections = 0;
server.on('connection', () => {
  connections++;
});
// Keep idle proxy connections open across the run (Node's default is 5 s).
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
const stop = () => {
  // Read by bench/logic.mjs: few connections for many requests means the proxy kept them alive.
  process.stdout.write(`served ${requests} requests over ${connections} connections\n`);
  process.exit(0);
};
process.once('SIGTERM', stop);
process.stdin.on('end', stop).resume();
