// HTTP: what createSwitchboardServer takes (its options and the endpoints' paths) and what it returns.
import type http from 'node:http';
import type https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { ProxyHealth, WebhookEndpointOptions, Webhooks } from '../integrations/index.ts';
import type { RealtimeServer, RealtimeServerOptions, SigningKey } from '../realtime/index.ts';
import type { Metrics } from './metrics.ts';
import type { StatusContributor } from './probes.ts';
import type { StaticSite } from './static.ts';
import type { SseSubscribeOptions } from './sse-subscribe.ts';
import type { HttpTransportEndpoints } from './transports/endpoints.ts';
import type { HttpTransportOptions } from './transports/options.ts';

/** Paths of the endpoints. */
export interface HttpPaths {
  readonly ws: string;
  readonly publish: string;
  readonly disconnect: string;
  readonly stats: string;
  readonly health: string;
  readonly ready: string;
  readonly metrics: string;
}

/** Options of {@link createSwitchboardServer}. */
export interface SwitchboardServerOptions {
  /** The real-time server's options, minus where it listens (the HTTP server decides). */
  readonly realtime: Omit<RealtimeServerOptions, 'server' | 'port' | 'host' | 'path' | 'observer'>;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 (a free port) */
  readonly port?: number;
  /**
   * Serve https:// and wss:// with this PEM certificate chain and key (TLS 1.2 and later).
   * @default null: plain http:// and ws://, for a TLS-terminating proxy in front
   */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer } | null;
  /**
   * How connections reach the WebSocket handshake (the engine's `acceptPath`): `'net'` reads each
   * connection's first request with the engine's own parser and hands every plain HTTP request
   * (API, pages, `/health`, `/metrics`) to this server's http.Server unchanged; `'http'` lets Node
   * parse everything and attaches to its `upgrade` event.
   * @default 'net' for plain http:// (less memory and CPU per WebSocket connection); always 'http' with `tls`
   */
  readonly acceptPath?: 'http' | 'net';
  /** @default the paths of src/cli/config.ts */
  readonly paths?: Partial<HttpPaths>;
  /** API keys of `POST /api/publish` and `POST /api/disconnect`; none configured refuses every call with 401. @default [] */
  readonly apiKeys?: readonly string[];
  /**
   * Largest API request body, in bytes.
   * @default 1048576 (1 MiB): far above a publication, small enough that a flood of bodies stays cheap
   */
  readonly maxBodyBytes?: number;
  /**
   * Largest batch of `POST /api/publish` with a JSON array; a longer one is refused with 413 `too_many_items`.
   * @default 100: one request's publishing stays short (one broker write per item) while saving most of the per-request overhead
   */
  readonly maxBatchItems?: number;
  /**
   * Time a client has to send a whole request (headers and body); Node then answers 408 and closes.
   * @default 10000: Node's own default is 300 s, which lets a slow-body client hold a socket for minutes (docs/security-cases.md OP-02)
   */
  readonly requestTimeoutMs?: number;
  /** Origins that may call the API from a browser (CORS); unlisted origins get no `Access-Control-Allow-Origin`. @default [] */
  readonly corsOrigins?: readonly string[];
  /** `/ready` answers 503 at or above this many connections. @default Infinity */
  readonly maxConnections?: number;
  /** Serve the chat page from this folder; null disables it. @default the package's web/ folder */
  readonly webRoot?: string | null;
  /**
   * Development only: `POST /api/dev-token` `{"user":"alice"}` mints a one-hour token with role `user`, so the chat page
   * can show names. Never enable it in production: anyone could become anyone.
   * @default null (off)
   */
  readonly devTokenKey?: SigningKey | null;
  /** The claim dev tokens carry the user id in; match the authenticator's `userIdClaim`. @default 'sub' */
  readonly devTokenUserIdClaim?: string;
  readonly metrics?: Metrics | null;
  readonly logger?: Logger | null;
  /**
   * Secret of signed API requests (`Switchboard-Signature` over `t.METHOD.target.body`, docs/webhooks.md), accepted
   * instead of an API key; several during a rotation.
   * @default null: API keys only
   */
  readonly apiSecret?: string | readonly string[] | null;
  /**
   * Signed API requests remembered to refuse replays (their window is 300 s); when full, new signed requests get 503.
   * @default 100000 - see `SignatureReplayGuard`
   */
  readonly maxRememberedSignatures?: number;
  /** Webhook endpoints fed by the real-time server's events. @default [] */
  readonly webhooks?: readonly WebhookEndpointOptions[];
  /** The backend proxy (`createHttpProxy`) among the realtime logic: its breakers show in `/health` and `/metrics`. @default null */
  readonly proxy?: { health(): ProxyHealth } | null;
  /**
   * More parts of the process that report in `/health` (under their `name`) and refresh their metrics before a
   * `/metrics` scrape (the ingest connectors, wired by the CLI). @default []
   */
  readonly statusContributors?: readonly StatusContributor[];
  /** Plain EventSource subscriptions at `GET /sse` (docs/protocol.md § 15.4): their `retry:` and keepalive periods. @default {} */
  readonly sse?: SseSubscribeOptions;
  /**
   * The HTTP emulated sessions for clients whose WebSocket is blocked (`/http/stream`, `/http/poll`, `/http/send`,
   * docs/protocol.md § 15). @default enabled, with the defaults of {@link HttpTransportOptions}
   */
  readonly httpTransports?: HttpTransportOptions;
}

/** A running server. */
export interface SwitchboardServer {
  readonly http: http.Server | https.Server;
  readonly hub: RealtimeServer;
  readonly site: StaticSite | null;
  /** Webhook delivery, when endpoints are configured. */
  readonly webhooks: Webhooks | null;
  /** The HTTP emulated sessions (docs/protocol.md § 15), null when disabled. */
  readonly httpTransports: HttpTransportEndpoints | null;
  /** Resolves with the bound address. */
  listen(): Promise<AddressInfo>;
  /** Drains the real-time server (503 on /ready at once), then stops the HTTP server. Repeated calls share the promise. */
  close(options?: { readonly timeoutMs?: number }): Promise<void>;
}

/** The endpoints' paths unless `paths` says otherwise. */
export const DEFAULT_PATHS: HttpPaths = {
  ws: '/ws',
  publish: '/api/publish',
  disconnect: '/api/disconnect',
  stats: '/api/stats',
  health: '/health',
  ready: '/ready',
  metrics: '/metrics',
};
