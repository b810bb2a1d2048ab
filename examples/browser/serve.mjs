// Serves the browser example: index.html and app.js from this folder, switchboard-client.js from the built bundle.
//   node scripts/build-client.mjs                     # writes dist/browser/switchboard-client.js
//   node examples/browser/serve.mjs                   # http://127.0.0.1:5173 (PORT=..., BUNDLE_DIR=...)
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const bundleDir = process.env.BUNDLE_DIR ?? join(here, '../../dist/browser');
const FILES = {
  '/': [join(here, 'index.html'), 'text/html; charset=utf-8'],
  '/app.js': [join(here, 'app.js'), 'text/javascript; charset=utf-8'],
  '/switchboard-client.js': [join(bundleDir, 'switchboard-client.js'), 'text/javascript; charset=utf-8'],
};

const server = createServer(async (req, res) => {
  const file = FILES[new URL(req.url ?? '/', 'http://x').pathname];
  if (file === undefined) {
    res.writeHead(404).end();
    return;
  }
  try {
    const body = await readFile(file[0]);
    res.writeHead(200, { 'Content-Type': file[1], 'Cache-Control': 'no-store' }).end(body);
  } catch {
    res
      .writeHead(500, { 'Content-Type': 'text/plain' })
      .end(`Cannot read ${file[0]}: run node scripts/build-client.mjs`);
  }
});
server.listen(Number(process.env.PORT ?? 5173), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
const stop = () => {
  server.close();
  server.closeAllConnections(); // keep-alive connections would hold the process open
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
