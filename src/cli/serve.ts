// CLI: `switchboard serve`: the real-time server, the chat page and the operations endpoints on one port; drains on SIGTERM/SIGINT.
import cluster from 'node:cluster';
import { readFile } from 'node:fs/promises';
import type https from 'node:https';
import { createSecureContext } from 'node:tls';
import { MemoryBroker, openDocumentStore, RedisBroker, type Broker, type BrokerStatus } from '../broker/index.ts';
import { createLogger, createMetrics, createProxyObserver, createSwitchboardServer } from '../http/index.ts';
import { createHttpProxy } from '../integrations/index.ts';
import { webhookEndpointsFrom } from './webhooks-config.ts';
import { createAuthenticator, createNamespaces, createOriginPolicy, Permissions } from '../realtime/index.ts';
import {
  authOptionsFrom,
  ConfigError,
  listeningUrls,
  loadConfig,
  namespaceConfigsFrom,
  SERVE_FLAGS_HELP,
  signingKeyFrom,
  wantsHelp,
  type ServerConfig,
} from './config.ts';
import { loadLogicModule, LogicModuleError, type LoadedLogic } from './logic-module.ts';
import { registerDemoRpc } from './demo-rpc.ts';
import { ingestEntriesFor } from './dev-feeds.ts';
import { PROXY_DEADLINE_MARGIN_MS, proxyOptionsFrom } from './proxy.ts';
import { runPrimary } from './workers.ts';
import { documentStoreSpec, yjsNamespaceFrom } from './documents-config.ts';
import { serveIngest } from './ingest.ts';

const USAGE = `Usage: switchboard serve [options]

Serves the real-time server at /ws, the chat page at /, POST /api/publish, POST /api/disconnect, GET /api/stats,
/health, /ready and /metrics on one port, over TLS when tls.certFile and tls.keyFile are set (SIGHUP reloads
them). Drains (close 1001, reconnect advice) on SIGTERM or SIGINT, then exits 0.

Options:
${SERVE_FLAGS_HELP}
  --help                   show this help`;

/**
 * Runs `switchboard serve` until SIGTERM or SIGINT.
 * @param argv - arguments after `serve`
 * @returns the exit code: 0 after a clean drain, 2 for a configuration error, 1 when the server cannot start
 */
export async function run(argv: string[]): Promise<number> {
  // Help first: it must print with a missing or invalid configuration.
  if (wantsHelp(argv)) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let loaded;
  try {
    loaded = await loadConfig({ argv, env: process.env });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`switchboard serve: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const { config, sources } = loaded;
  let tls: { cert: Buffer; key: Buffer } | null = null;
  if (config.tls !== null) {
    try {
      tls = await readTls(config.tls);
    } catch (err) {
      process.stderr.write(`switchboard serve: tls: ${err instanceof Error ? err.message : String(err)}\n`);
      return 2;
    }
  }
  const webhooks = webhookEndpointsFrom(config, process.env);
  if ('error' in webhooks) {
    process.stderr.write(`switchboard serve: ${webhooks.error}\n`);
    return 2;
  }
  let logic: LoadedLogic | null = null;
  if (config.logic !== null) {
    try {
      logic = await loadLogicModule(config.logic, process.cwd());
    } catch (err) {
      if (!(err instanceof LogicModuleError)) throw err;
      process.stderr.write(`switchboard serve: logic: ${err.message}\n`);
      return 2;
    }
  }
  let namespaces;
  try {
    // Payload schemas are read and compiled here, once: a bad one stops the start naming its namespace.
    namespaces = createNamespaces(await namespaceConfigsFrom(config));
  } catch (err) {
    if (!(err instanceof ConfigError) && !(err instanceof RangeError)) throw err;
    process.stderr.write(`switchboard serve: ${err.message}\n`);
    return 2;
  }
  const logger = createLogger({ level: config.log.level, pretty: config.log.pretty });
  // docs/architecture.md Scaling: `serve --workers N` runs N processes on one port over the shared broker (loadConfig
  // already refused N > 1 with the memory broker). The primary only forks, restarts and forwards signals.
  if (config.workers > 1 && cluster.isPrimary)
    return runPrimary({ workers: config.workers, drainTimeoutMs: config.limits.drainTimeoutMs, logger });
  const metrics = createMetrics();
  const broker = await createBroker(config, logger);
  let documentStore;
  try {
    documentStore = await openDocumentStore(documentStoreSpec(config));
  } catch (err) {
    process.stderr.write(
      `switchboard serve: cannot open the ${config.documents.store} document store: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    await broker.close();
    return 1;
  }
  const development = config.mode === 'development';
  const limits = config.limits;
  const permissions = new Permissions(namespaces, {
    roles: config.roles,
    authenticatedRoles: config.authenticatedRoles,
  });
  // The backend proxy (docs/backend-proxy.md), when the configuration names an endpoint.
  const proxyOptions = proxyOptionsFrom(config.proxy, process.env);
  const proxy =
    proxyOptions === null ? null : createHttpProxy({ ...proxyOptions, observer: createProxyObserver(metrics, logger) });
  if (proxyOptions !== null && proxyOptions.secret === null)
    logger.warn(
      { event: 'proxy_unsigned' },
      'proxy requests are unsigned: set proxy.secret or SWITCHBOARD_PROXY_SECRET',
    );
  // docs/feeds.md "Ingest connectors": started once the server listens, stopped before the broker closes. In
  // development the demo prices and weather for the /dashboard page run through the same runner.
  const ingestEntries = ingestEntriesFor(config.ingest, development);
  const ingest = serveIngest(ingestEntries, metrics, logger);
  const server = await createSwitchboardServer({
    realtime: {
      broker,
      namespaces,
      authenticator: await createAuthenticator(await authOptionsFrom(config)),
      permissions,
      originPolicy: createOriginPolicy({
        allowedOrigins: config.origins,
        cookieOnly: config.auth.cookieName !== null && !config.auth.allowQueryToken,
      }),
      // The bundled page on a port chosen at start (port 0) is same-origin; only in development.
      allowSameOrigin: development && !sources.has('origins'),
      cookieName: config.auth.cookieName,
      allowQueryToken: config.auth.allowQueryToken,
      connectionsPerMinutePerIp: limits.connectionsPerMinutePerIp,
      trustedProxies: config.trustedProxies,
      denyAddresses: config.denyAddresses,
      authTimeoutMs: config.auth.connectTimeoutMs,
      maxStrikes: limits.maxStrikes,
      strikeWindowMs: limits.strikeWindowMs,
      maxSubscriptions: limits.maxSubscriptionsPerConnection,
      maxConnectionsPerUser: limits.maxConnectionsPerUser,
      maxMessageSize: limits.maxMessageSize,
      rateLimit: {
        messagesPerSecond: limits.messagesPerSecond,
        messagesBurst: limits.messagesBurst,
        bytesPerSecond: limits.bytesPerSecond,
        bytesBurst: limits.bytesBurst,
      },
      typing: { expireMs: limits.typingTimeoutMs },
      // In-process logic first, then the backend proxy; the hub waits past the proxy's own deadline, so a slow
      // backend is answered backend_unavailable (retryable) by the proxy rather than internal by the hub.
      logic: [...(logic?.logic ? [logic.logic] : []), ...(proxy === null ? [] : [proxy])],
      logicTimeoutMs:
        proxy === null
          ? config.logicTimeoutMs
          : Math.max(config.logicTimeoutMs, config.proxy.timeoutMs + PROXY_DEADLINE_MARGIN_MS),
      idleTimeoutMs: limits.idleTimeoutMs,
      perMessageDeflate: config.deflate.enabled
        ? {
            threshold: config.deflate.thresholdBytes,
            serverNoContextTakeover: config.deflate.serverNoContextTakeover,
            clientNoContextTakeover: config.deflate.clientNoContextTakeover,
            serverMaxWindowBits: config.deflate.serverMaxWindowBits,
            concurrency: config.deflate.concurrency,
          }
        : false,
      documentStore,
      yjsNamespace: yjsNamespaceFrom(config, namespaces),
      engine: {
        pingIntervalMs: limits.pingIntervalMs,
        pongTimeoutMs: limits.pongTimeoutMs,
        handshakeTimeoutMs: limits.handshakeTimeoutMs,
        maxConnections: limits.maxConnections,
        maxConnectionsPerIp: limits.maxConnectionsPerIp,
        sendHighWaterMark: limits.sendHighWaterMark,
      },
    },
    host: config.host,
    port: config.port,
    tls,
    paths: config.paths,
    acceptPath: config.acceptPath,
    apiKeys: config.apiKeys,
    apiSecret: config.apiSecret,
    webhooks: webhooks.endpoints,
    corsOrigins: config.origins,
    httpTransports: config.httpTransports,
    maxConnections: limits.maxConnections,
    ...(config.web.enabled ? {} : { webRoot: null }),
    devTokenKey: development ? await signingKeyFrom(config) : null,
    devTokenUserIdClaim: config.auth.userIdClaim,
    metrics,
    logger,
    proxy,
    statusContributors: ingestEntries.length === 0 ? [] : [ingest.contributor],
    sse: { retryMs: config.sse.retryMs, keepaliveMs: config.sse.keepaliveMs },
  });

  for (const [method, handler] of logic?.methods ?? []) server.hub.rpc(method, handler);
  // docs/serve.md "Demo RPC methods": the chat page's /roll and /who; a production configuration registers none.
  if (development) registerDemoRpc(server.hub, { broker: server.hub.broker, permissions }, logic?.methods);

  let address;
  try {
    address = await server.listen();
  } catch (err) {
    process.stderr.write(
      `switchboard serve: cannot listen on ${config.host}:${config.port}: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    await proxy?.close();
    await broker.close();
    await documentStore.close();
    metrics.close();
    return 1;
  }
  // The signal handlers are installed before the "listening" line: a supervisor may send SIGTERM as soon as it reads it.
  const stopped = new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      logger.info({ event: 'draining', signal, connections: server.hub.connectionCount }, 'draining');
      // Connectors stop first (in-flight publishes and acknowledgements finish), so nothing new flows into a
      // draining server, and the broker is still there for their last publishes.
      ingest
        .close()
        .then(() => server.close({ timeoutMs: limits.drainTimeoutMs }))
        .then(() => proxy?.close())
        .then(() => broker.close())
        .then(() => documentStore.close())
        .then(() => {
          metrics.close();
          logger.info({ event: 'stopped' }, 'stopped');
          logger.flush?.();
          // A cluster worker's IPC channel would keep the process alive: let it go so the worker exits 0.
          if (cluster.isWorker) process.disconnect?.();
          resolve(0);
        })
        .catch((err: unknown) => {
          logger.error({ event: 'drain_failed', err }, 'drain failed');
          resolve(1);
        });
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    if (config.tls !== null) {
      const files = config.tls;
      // Certificate rotation without a restart: new handshakes use the new pair, open connections keep theirs.
      process.on('SIGHUP', () => {
        readTls(files).then(
          (pair) => {
            (server.http as https.Server).setSecureContext(pair);
            logger.info({ event: 'tls_reloaded' }, 'TLS certificate reloaded');
          },
          (err: unknown) =>
            logger.error({ event: 'tls_reload_failed', err }, 'TLS certificate not reloaded; the previous one stays'),
        );
      });
    }
    // A worker whose primary died (kill -9) loses its IPC channel: drain rather than linger as an orphan.
    if (cluster.isWorker) process.once('disconnect', () => stop('SIGTERM'));
  });
  try {
    await ingest.start(server.hub);
  } catch (err) {
    // A connector's options passed validation; what fails here is building it (never a connection: sources retry).
    logger.error({ event: 'ingest_failed_to_start', err }, 'ingest connectors did not start');
  }
  const urls = listeningUrls(config, address.port);
  process.stdout.write(`listening on ${urls.http.replace(/\/$/, '')} (WebSocket ${urls.ws})\n`);
  logger.info(
    {
      event: 'listening',
      url: urls.http,
      ws: urls.ws,
      mode: config.mode,
      broker: broker.name,
      page: server.site?.bundle ?? 'off',
    },
    'listening',
  );
  return stopped;
}

/**
 * The configured broker: the embedded {@link MemoryBroker}, or a {@link RedisBroker} for several nodes. A Redis
 * that does not answer at start is logged, not fatal: the node serves its local connections, reports the outage
 * in `/health` and `/metrics`, refuses publishes with `broker_unavailable`, and catches up once Redis answers.
 */
async function createBroker(config: ServerConfig, logger: ReturnType<typeof createLogger>): Promise<Broker> {
  const options = config.broker;
  let broker: MemoryBroker | RedisBroker;
  if (options.url === 'memory:') {
    broker = new MemoryBroker();
  } else {
    broker = new RedisBroker({
      url: options.url,
      keyPrefix: options.keyPrefix,
      sharded: options.sharded,
      commandTimeoutMs: options.commandTimeoutMs,
      presenceHeartbeatMs: options.presenceHeartbeatMs,
    });
    broker.on('status', (status: BrokerStatus) => {
      if (status.state === 'up') logger.info({ event: 'broker_status', broker: 'redis', state: 'up' }, 'broker up');
      else
        logger.warn({ event: 'broker_status', broker: 'redis', state: 'down', reason: status.reason }, 'broker down');
    });
    try {
      await broker.waitUntilUp(5000);
    } catch (err) {
      logger.warn(
        { event: 'broker_unreachable', broker: 'redis', err },
        'Redis does not answer yet: serving local connections, publishes fail until it does',
      );
    }
  }
  broker.on('error', (err: Error) => logger.error({ event: 'broker_error', err }, 'broker error'));
  return broker;
}

/**
 * Reads and checks a certificate chain and key (PEM): a pair that does not match, or a file that is not PEM, is an
 * error here rather than a failed handshake for every client later.
 * @param files paths from the configuration
 * @returns the pair
 * @throws Error naming the file that cannot be read, or saying the pair is unusable
 */
async function readTls(files: {
  readonly certFile: string;
  readonly keyFile: string;
}): Promise<{ cert: Buffer; key: Buffer }> {
  const read = async (path: string): Promise<Buffer> => {
    try {
      return await readFile(path);
    } catch (cause) {
      throw new Error(`cannot read ${path}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`, { cause });
    }
  };
  const [cert, key] = await Promise.all([read(files.certFile), read(files.keyFile)]);
  try {
    createSecureContext({ cert, key });
  } catch (cause) {
    throw new Error(
      `${files.certFile} and ${files.keyFile} are not a usable certificate and key: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
  return { cert, key };
}
