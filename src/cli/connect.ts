// CLI: `switchboard connect`: an interactive or scripted WebSocket client, like wscat.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { connect, HandshakeError, type ClientOptions, type WebSocket } from '../engine/index.ts';
import { serializeClosePayload } from '../protocol/index.ts';
import { clientToken, TOKEN_HELP } from './client-token.ts';

/** Help text of `switchboard connect`. */
export const USAGE = `Usage: switchboard connect URL [-H 'Name: value']... [-s subprotocol]... [-x message]... [--wait MS] [--token JWT]

Connects to a WebSocket server. Received messages are printed one per line (binary as hex).
With -x, sends each message in order, then exits after --wait ms or when the server closes.
Without -x, sends each line typed (or piped) on stdin as a text message; when input
ends, waits up to --wait ms for the answers, then closes. Commands:
  /ping [data]            send a ping and print the round-trip time
  /close [CODE [REASON]]  close once the server answered what was sent (printed as
                          "< closed: CODE REASON"; exit 0 when the server agrees)
  /quit                   the same with 1000

Options:
  -H, --header 'N: v'   extra request header (repeatable)
  -s, --subprotocol P   subprotocol to offer (repeatable)
  -x, --execute MSG     send MSG after connecting (repeatable); exit after --wait
  -w, --wait MS         time to wait for answers after the last message (default 2000)
  -o, --origin ORIGIN   Origin header
${TOKEN_HELP},
                        sent as "Authorization: Bearer JWT" (an -H Authorization header wins over the variable)
  -k, --insecure        do not verify the server's TLS certificate
      --ca FILE         trust this CA certificate (PEM) for wss://
  -h, --help            show this help

Exit status: 0 after a normal close (1000, 1001, 1005), a close you asked for with /close,
or the --wait timeout; 1 when the
handshake failed (the HTTP status is printed), the connection failed or closed abnormally; 2 on usage errors.`;

interface Parsed {
  url: string;
  headers: Record<string, string>;
  protocols: string[];
  execute: string[];
  waitMs: number;
  origin?: string;
  insecure: boolean;
  ca?: string;
}

function parse(argv: string[], env: Readonly<Record<string, string | undefined>>): Parsed | string | null {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        header: { type: 'string', short: 'H', multiple: true },
        subprotocol: { type: 'string', short: 's', multiple: true },
        execute: { type: 'string', short: 'x', multiple: true },
        wait: { type: 'string', short: 'w' },
        origin: { type: 'string', short: 'o' },
        token: { type: 'string', short: 't' },
        insecure: { type: 'boolean', short: 'k' },
        ca: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: true,
    });
  } catch (err) {
    return (err as Error).message;
  }
  const { values, positionals } = parsed;
  if (values.help === true) return null;
  if (positionals.length !== 1) return 'expected exactly one URL';
  const headers: Record<string, string> = {};
  for (const h of values.header ?? []) {
    const colon = h.indexOf(':');
    if (colon <= 0) return `invalid header "${h}": expected "Name: value"`;
    headers[h.slice(0, colon).trim()] = h.slice(colon + 1).trim();
  }
  const hasAuthorization = Object.keys(headers).some((name) => name.toLowerCase() === 'authorization');
  if (values.token !== undefined && hasAuthorization) return 'give --token or an -H Authorization header, not both';
  // An explicit Authorization header wins: SWITCHBOARD_TOKEN is then neither read nor checked.
  const token = hasAuthorization ? null : clientToken(values.token, env);
  if (typeof token === 'string') return token;
  // The real-time server reads a handshake credential from this header (browsers, which cannot set it, use ?token=).
  if (token !== null && !hasAuthorization) headers['Authorization'] = `Bearer ${token.token}`;
  const waitMs = values.wait === undefined ? 2000 : Number(values.wait);
  if (!Number.isFinite(waitMs) || waitMs < 0) return `invalid --wait "${values.wait}"`;
  const out: Parsed = {
    url: positionals[0]!,
    headers,
    protocols: values.subprotocol ?? [],
    execute: values.execute ?? [],
    waitMs,
    insecure: values.insecure === true,
  };
  if (values.origin !== undefined) out.origin = values.origin;
  if (values.ca !== undefined) out.ca = values.ca;
  return out;
}

function isNormalClose(code: number): boolean {
  return code === 1000 || code === 1001 || code === 1005;
}

function show(data: unknown): string {
  if (typeof data === 'string') return data;
  if (Buffer.isBuffer(data)) return data.toString('hex');
  return String(data);
}

/**
 * Runs the client.
 * @param argv - command arguments
 * @returns the exit code (see the help text)
 */
export async function run(argv: string[]): Promise<number> {
  const args = parse(argv, process.env);
  if (args === null) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (typeof args === 'string') {
    process.stderr.write(`switchboard connect: ${args}\n\n${USAGE}\n`);
    return 2;
  }
  const options: ClientOptions = { headers: args.headers, protocols: args.protocols };
  if (args.origin !== undefined) options.origin = args.origin;
  if (args.insecure || args.ca !== undefined) {
    options.tls = {};
    if (args.insecure) options.tls.rejectUnauthorized = false;
    if (args.ca !== undefined) options.tls.ca = readFileSync(args.ca);
  }

  let ws: WebSocket;
  try {
    ws = await connect(args.url, options);
  } catch (err) {
    if (err instanceof HandshakeError) {
      const status = err.status === 0 ? 'no HTTP response' : `HTTP ${err.status}`;
      process.stderr.write(`error: handshake failed: ${status}: ${err.message}\n`);
    } else {
      process.stderr.write(`error: ${(err as Error).message}\n`);
    }
    return 1;
  }

  const interactive = args.execute.length === 0 && process.stdin.isTTY === true;
  const print = (line: string): void => {
    if (interactive) process.stdout.write(`\r< ${line}\n> `);
    else process.stdout.write(`${line}\n`);
  };
  ws.onmessage = (event) => print(show(event.data));
  ws.onerror = (event) => process.stderr.write(`error: ${event.message}\n`);
  const closed = new Promise<{ code: number; reason: string; wasClean: boolean }>((resolve) => {
    ws.onclose = (event) => resolve({ code: event.code, reason: event.reason, wasClean: event.wasClean });
  });
  /** The close the user asked for (/close, /quit, end of input), to judge and show the outcome. */
  let requested: { code: number; reason: string } | null = null;
  const finish = async (): Promise<number> => {
    const { code, reason, wasClean } = await closed;
    // A server answers a Close with the code alone (RFC 6455 §5.5.1): the reason shown is then the one sent.
    const asked = requested !== null && wasClean && requested.code === code;
    const shown = reason === '' && asked ? requested!.reason : reason;
    const line = `closed: ${code}${shown === '' ? '' : ` ${shown}`}`;
    const ok = isNormalClose(code) || asked;
    if (interactive) process.stdout.write(`\r< ${line}\n`);
    else if (!ok || (asked && code !== 1000)) process.stderr.write(`${line}\n`);
    return ok ? 0 : 1;
  };
  const closeAndWait = async (code = 1000, reason = ''): Promise<number> => {
    requested = { code, reason };
    ws.close(code, reason);
    return finish();
  };

  if (args.execute.length > 0) {
    for (const message of args.execute) ws.send(message);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), args.waitMs);
    });
    const first = await Promise.race([closed.then(() => 'closed' as const), timedOut]);
    clearTimeout(timer);
    if (first === 'timeout') {
      await closeAndWait();
      return 0;
    }
    return finish();
  }

  // Line mode: a TTY (interactive, with a prompt) or piped stdin.
  if (interactive)
    process.stderr.write(
      `connected to ${args.url}${ws.protocol === '' ? '' : ` (subprotocol ${ws.protocol})`}; /quit to exit\n`,
    );
  const rl = createInterface({
    input: process.stdin,
    output: interactive ? process.stdout : undefined,
    terminal: interactive,
  });
  if (interactive) rl.setPrompt('> ');
  rl.prompt();
  /**
   * Closes once the server has answered what was sent: a WebSocket delivers no message after its
   * own Close (WHATWG), so closing right after the last line would lose that line's reply. A ping
   * is the barrier: the server reads frames in order, so its pong comes after its answers to every
   * earlier message. Bounded by --wait for servers that do not answer pings.
   */
  const closeAfterReplies = (code: number, reason: string): void => {
    if (requested !== null) return;
    requested = { code, reason };
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, args.waitMs);
    });
    const barrier = ws.ping().then(
      () => undefined,
      () => undefined,
    );
    void Promise.race([barrier, bound]).then(() => {
      clearTimeout(timer);
      if (ws.readyState === ws.OPEN) ws.close(code, reason);
    });
  };
  const onSigint = (): void => {
    requested ??= { code: 1000, reason: '' };
    ws.close(1000);
  };
  process.on('SIGINT', onSigint);
  rl.on('SIGINT', onSigint);
  rl.on('line', (line) => {
    if (requested !== null) return; // input after /quit or /close is not sent
    if (line.startsWith('/')) {
      const [cmd, ...rest] = line.split(' ');
      if (cmd === '/ping') {
        const payload = rest.join(' ');
        ws.ping(payload === '' ? undefined : Buffer.from(payload)).then(
          (rtt) => print(`pong (${rtt.toFixed(1)} ms)`),
          () => undefined,
        );
      } else if (cmd === '/close') {
        const code = rest[0] === undefined ? 1000 : Number(rest[0]);
        const reason = rest.slice(1).join(' ');
        const problem = closeProblem(code, reason);
        if (problem === null) closeAfterReplies(code, reason);
        else process.stderr.write(`error: ${problem}\n`);
      } else if (cmd === '/quit') {
        closeAfterReplies(1000, '');
      } else {
        process.stderr.write(`unknown command ${cmd}\n`);
      }
    } else if (line !== '' || !interactive) {
      ws.send(line);
    }
    if (interactive && requested === null) rl.prompt();
  });
  rl.on('close', () => {
    // stdin ended: give the server --wait ms to answer, then close.
    if (requested !== null) return;
    if (interactive) {
      closeAfterReplies(1000, '');
      return;
    }
    setTimeout(() => {
      if (ws.readyState === ws.OPEN) closeAfterReplies(1000, '');
    }, args.waitMs).unref();
  });
  const code = await finish();
  process.removeListener('SIGINT', onSigint);
  rl.close();
  process.stdin.destroy();
  return code;
}

/** Why `/close CODE REASON` cannot be sent (null when it can): the Close frame's own checks, before waiting for replies. */
function closeProblem(code: number, reason: string): string | null {
  try {
    serializeClosePayload(code, reason);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}
