// CLI config, settings table: how connections and data come in besides /ws: the accept path, the HTTP transports, ingest
// connectors.
// Rows in the order of the schema; settings.ts joins the groups in that order.
import { SETTING_KINDS, type Setting, settingRow as s } from '../setting.ts';

const { INTEGER, BOOLEAN, ENUM, LIST } = SETTING_KINDS;

/** Rows of the table, in schema order. */
export const TRANSPORT_SETTINGS: readonly Setting[] = [
  s(
    'acceptPath',
    'ACCEPT_PATH',
    ENUM,
    '`net`: WebSocket upgrades are read by the engine without node:http (less memory and CPU per connection), plain HTTP goes to node:http; `http`: node:http parses everything. Over TLS always `http`.',
  ),
  s(
    'httpTransports.enabled',
    'HTTP_TRANSPORTS__ENABLED',
    BOOLEAN,
    'Serve the HTTP emulated sessions (`/http/stream` event streams, `/http/poll` long polling, `/http/send`) for clients whose WebSocket is blocked (docs/protocol.md § 15).',
  ),
  s(
    'httpTransports.pollTimeoutMs',
    'HTTP_TRANSPORTS__POLL_TIMEOUT_MS',
    INTEGER,
    'How long a long poll is held without messages before it is answered empty, in ms (under the idle timeout of proxies in front).',
  ),
  s(
    'httpTransports.sessionTimeoutMs',
    'HTTP_TRANSPORTS__SESSION_TIMEOUT_MS',
    INTEGER,
    'How long a long-polling session lives with no poll, in ms; then it ends as a cut connection (1006).',
  ),
  s(
    'httpTransports.keepaliveMs',
    'HTTP_TRANSPORTS__KEEPALIVE_MS',
    INTEGER,
    'Period of the `: keepalive` comment on an event stream, in ms.',
  ),
  s(
    'ingest',
    'INGEST',
    LIST,
    'Ingest connectors, each `{name, source: {kind, ...options of the kind}, channel, key?, codec?: json | msgpack | text, maxPayloadBytes?}`: live data from NATS JetStream, Redis Streams and other systems published into channels (docs/feeds.md); from the environment as a JSON array.',
  ),
];
