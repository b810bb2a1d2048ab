// Documents benchmark server: @hocuspocus/server 3.4.4 with its defaults (no extensions, so documents live in
// memory and are unloaded when their last connection closes), quiet. Prints `listening PORT`.
import { Server } from '@hocuspocus/server';
import { serveControl } from './control.mjs';

const server = new Server({
  port: Number(process.env.PORT ?? 0),
  address: '127.0.0.1',
  quiet: true,
  stopOnSignals: false,
});
await server.listen();
serveControl(
  () => ({ documents: server.hocuspocus.documents.size }),
  () => server.destroy(),
);
process.stdout.write(`listening ${server.httpServer.address().port}\n`);
