// Test harness: runs the committed deploy/nginx.conf, deploy/haproxy.cfg or deploy/haproxy-sticky.cfg as a child
// process in front of given nodes, with a plain listener and a TLS one (self-signed certificate).
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary } from './binaries.ts';
import { freePort, httpStatus, spawnChild, waitFor, type Child, type Cleanup } from './process.ts';
import { readDeployFile, renderTemplate } from './templates.ts';
import { selfSignedCertificate, type TlsFiles } from './tls.ts';

/** Which proxy. */
export type ProxyKind = 'nginx' | 'haproxy';

/** The TLS listener of a rendered template. */
export interface TlsListener {
  readonly port: number;
  readonly files: TlsFiles;
  /** The plain listener answers 308 to HTTPS (`SB_HTTP_REDIRECT` on); otherwise it proxies too. */
  readonly redirectHttp: boolean;
}

/** Options of {@link startProxy}. */
export interface ProxyOptions {
  /** The plain listener redirects to HTTPS. @default false (the cluster tests speak plain ws:// to the proxy) */
  readonly redirectHttp?: boolean;
  /** HAProxy only: deploy/haproxy-sticky.cfg (cookie stickiness) instead of deploy/haproxy.cfg. @default false */
  readonly sticky?: boolean;
}

/** An upstream node address. */
export interface Upstream {
  readonly host: string;
  readonly port: number;
}

/** A running proxy. */
export interface Proxy {
  readonly kind: ProxyKind;
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly httpUrl: string;
  /** `ws://127.0.0.1:<port>/ws` */
  readonly wsUrl: string;
  /** Port of the TLS listener. */
  readonly tlsPort: number;
  /** `https://127.0.0.1:<tlsPort>` */
  readonly httpsUrl: string;
  /** `wss://127.0.0.1:<tlsPort>/ws` */
  readonly wssUrl: string;
  /** The self-signed certificate of the TLS listener (trust it as the CA). */
  readonly certPem: string;
  readonly child: Child;
  /** The rendered configuration file. */
  readonly configPath: string;
}

/** A private, world-readable scratch directory (nginx workers run as nobody when the master is root), removed after the test. */
export function scratchDir(t: Cleanup, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `switchboard-${prefix}-`));
  chmodSync(dir, 0o755);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The variables that fill deploy/nginx.conf for these upstreams. */
export function nginxVariables(
  dir: string,
  port: number,
  upstreams: readonly Upstream[],
  tls: TlsListener,
): Record<string, string> {
  return {
    SB_LISTEN: `127.0.0.1:${port}`,
    SB_TLS_LISTEN: `127.0.0.1:${tls.port}`,
    SB_TLS_CERT: tls.files.certPath,
    SB_TLS_KEY: tls.files.keyPath,
    SB_HTTP_REDIRECT: tls.redirectHttp ? 'on' : 'off',
    SB_ACME_ROOT: join(dir, 'acme'),
    SB_UPSTREAMS: upstreams.map((u) => `server ${u.host}:${u.port} max_fails=1 fail_timeout=2s;`).join('\n        '),
    SB_RUNTIME_DIR: dir,
    SB_LOG_DIR: dir,
    SB_WORKERS: '1',
  };
}

/**
 * The variables that fill deploy/haproxy.cfg (or haproxy-sticky.cfg) for these upstreams. Each server line names its
 * stickiness cookie value (`cookie n1`), which only the sticky file uses.
 */
export function haproxyVariables(
  dir: string,
  port: number,
  statsPort: number,
  upstreams: readonly Upstream[],
  tls: TlsListener,
): Record<string, string> {
  return {
    SB_BIND: `127.0.0.1:${port}`,
    SB_TLS_BIND: `127.0.0.1:${tls.port}`,
    SB_TLS_PEM: tls.files.pemPath,
    SB_HTTP_REDIRECT: tls.redirectHttp ? 'on' : 'off',
    SB_SERVERS: upstreams.map((u, i) => `    server n${i + 1} ${u.host}:${u.port} check cookie n${i + 1}`).join('\n'),
    SB_RUNTIME_DIR: dir,
    SB_STATS_BIND: `127.0.0.1:${statsPort}`,
  };
}

/** Renders the committed config for `kind` and runs the proxy in the foreground until the test ends. */
export async function startProxy(
  t: Cleanup,
  kind: ProxyKind,
  upstreams: readonly Upstream[],
  options: ProxyOptions = {},
): Promise<Proxy> {
  const dir = scratchDir(t, kind);
  const port = await freePort();
  const tls: TlsListener = {
    port: await freePort(),
    files: selfSignedCertificate(dir),
    redirectHttp: options.redirectHttp ?? false,
  };
  let child: Child;
  let configPath: string;
  let healthPath: string;
  if (kind === 'nginx') {
    configPath = join(dir, 'nginx.conf');
    writeFileSync(configPath, renderTemplate(readDeployFile('nginx.conf'), nginxVariables(dir, port, upstreams, tls)));
    // -e: the startup error log before the file is read (the compiled-in default is /var/log/nginx).
    child = spawnChild(t, 'nginx', findBinary('nginx'), [
      '-p',
      dir,
      '-c',
      configPath,
      '-e',
      join(dir, 'error.log'),
      '-g',
      'daemon off;',
    ]);
    healthPath = '/nginx-health';
  } else {
    configPath = join(dir, 'haproxy.cfg');
    writeFileSync(
      configPath,
      renderTemplate(
        readDeployFile(options.sticky === true ? 'haproxy-sticky.cfg' : 'haproxy.cfg'),
        haproxyVariables(dir, port, await freePort(), upstreams, tls),
      ),
    );
    child = spawnChild(t, 'haproxy', findBinary('haproxy'), ['-db', '-f', configPath]);
    healthPath = '/haproxy-health';
  }
  const httpUrl = `http://127.0.0.1:${port}`;
  await waitFor(`${kind} on port ${port}`, async () => (await httpStatus(`${httpUrl}${healthPath}`)) === 200, {
    child,
    timeoutMs: 10_000,
  });
  return {
    kind,
    port,
    httpUrl,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    tlsPort: tls.port,
    httpsUrl: `https://127.0.0.1:${tls.port}`,
    wssUrl: `wss://127.0.0.1:${tls.port}/ws`,
    certPem: tls.files.certPem,
    child,
    configPath,
  };
}
