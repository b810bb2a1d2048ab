// CLI: `switchboard echo`: a pure engine echo server (text back as text, binary as binary).
import { parseArgs } from 'node:util';
import { WebSocketServer } from '../engine/index.ts';

/** Help text of `switchboard echo`. */
export const USAGE = `Usage: switchboard echo [--host H] [--port P] [--path /PATH] [--deflate]

Runs a WebSocket echo server: every text message comes back as text, every binary one as binary.
The first line on stdout is "listening on ws://H:P/PATH" (with the real port when --port is 0).
SIGTERM or SIGINT closes every connection with 1001 and exits 0.

Options:
  --host H        address to listen on (default 127.0.0.1)
  --port P        port, 0 for any free port (default 8080)
  --path /PATH    only accept upgrades for this path (default: every path)
  --deflate       accept permessage-deflate (RFC 7692) offers, with the engine's defaults
  -h, --help      show this help`;

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Runs the echo server until SIGTERM/SIGINT.
 * @param argv - command arguments
 * @returns 0 after a graceful shutdown, 2 on a usage error
 */
export async function run(argv: string[]): Promise<number> {
  let values: { host?: string; port?: string; path?: string; deflate?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        host: { type: 'string' },
        port: { type: 'string', short: 'p' },
        path: { type: 'string' },
        deflate: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    process.stderr.write(`switchboard echo: ${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const host = values.host ?? '127.0.0.1';
  const port = values.port === undefined ? 8080 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`switchboard echo: invalid port "${values.port}"\n`);
    return 2;
  }
  if (values.path !== undefined && !values.path.startsWith('/')) {
    process.stderr.write('switchboard echo: --path must start with "/"\n');
    return 2;
  }
  const options: ConstructorParameters<typeof WebSocketServer>[0] = { host, port };
  if (values.path !== undefined) options.path = values.path;
  if (values.deflate === true) options.perMessageDeflate = true;
  const server = new WebSocketServer(options);
  let address;
  try {
    address = await server.listen();
  } catch (err) {
    process.stderr.write(`switchboard echo: cannot listen on ${host}:${port}: ${(err as Error).message}\n`);
    return 1;
  }
  server.on('connection', (ws) => {
    ws.onmessage = (event) => {
      ws.send(event.data as string | Buffer);
    };
  });
  process.stdout.write(`listening on ws://${formatHost(host)}:${address.port}${values.path ?? '/'}\n`);
  return new Promise<number>((resolve) => {
    const stop = (): void => {
      process.removeListener('SIGTERM', stop);
      process.removeListener('SIGINT', stop);
      server.close({ code: 1001, reason: 'Server shutting down' }).then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
