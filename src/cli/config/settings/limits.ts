// CLI config, settings table: what one connection may cost: rates, sizes, deadlines and heartbeats, SSE timing,
// permessage-deflate.
// Rows in the order of the schema; settings.ts joins the groups in that order.
import { SETTING_KINDS, type Setting, settingRow as s } from '../setting.ts';

const { INTEGER, BOOLEAN } = SETTING_KINDS;

/** Rows of the table, in schema order. */
export const LIMIT_SETTINGS: readonly Setting[] = [
  s(
    'limits.maxMessageSize',
    'LIMITS__MAX_MESSAGE_SIZE',
    INTEGER,
    'Largest message a client may send, in bytes: larger ones get a `too_large` reply, frames over 4x this close with 1009.',
  ),
  s('limits.maxConnections', 'LIMITS__MAX_CONNECTIONS', INTEGER, 'Connections of this node; new ones get 503 beyond.'),
  s(
    'limits.maxConnectionsPerIp',
    'LIMITS__MAX_CONNECTIONS_PER_IP',
    INTEGER,
    'Open connections per client address (503 beyond).',
  ),
  s(
    'limits.maxConnectionsPerUser',
    'LIMITS__MAX_CONNECTIONS_PER_USER',
    INTEGER,
    'Open connections per authenticated user.',
  ),
  s(
    'limits.maxSubscriptionsPerConnection',
    'LIMITS__MAX_SUBSCRIPTIONS_PER_CONNECTION',
    INTEGER,
    'Channels one connection may subscribe to.',
  ),
  s(
    'limits.messagesPerSecond',
    'LIMITS__MESSAGES_PER_SECOND',
    INTEGER,
    'Sustained messages per second per connection (token bucket).',
  ),
  s('limits.messagesBurst', 'LIMITS__MESSAGES_BURST', INTEGER, 'Message burst per connection.'),
  s('limits.bytesPerSecond', 'LIMITS__BYTES_PER_SECOND', INTEGER, 'Sustained inbound bytes per second per connection.'),
  s('limits.bytesBurst', 'LIMITS__BYTES_BURST', INTEGER, 'Inbound byte burst per connection.'),
  s(
    'limits.connectionsPerMinutePerIp',
    'LIMITS__CONNECTIONS_PER_MINUTE_PER_IP',
    INTEGER,
    'New connections per minute per client address (429 beyond).',
  ),
  s(
    'limits.maxStrikes',
    'LIMITS__MAX_STRIKES',
    INTEGER,
    'Malformed messages and rate-limit trips within limits.strikeWindowMs that close the connection (4500 bad request; 4008 when the strikes are rate-limit trips).',
  ),
  s('limits.strikeWindowMs', 'LIMITS__STRIKE_WINDOW_MS', INTEGER, 'Window in which strikes are counted, in ms.'),
  s(
    'limits.handshakeTimeoutMs',
    'LIMITS__HANDSHAKE_TIMEOUT_MS',
    INTEGER,
    'Deadline of the HTTP upgrade (and TLS handshake), in ms.',
  ),
  s(
    'limits.pingIntervalMs',
    'LIMITS__PING_INTERVAL_MS',
    INTEGER,
    'Interval of server pings, in ms; 0 disables the heartbeat.',
  ),
  s(
    'limits.pongTimeoutMs',
    'LIMITS__PONG_TIMEOUT_MS',
    INTEGER,
    'A connection that does not answer a ping within this is closed, in ms.',
  ),
  s(
    'limits.sendHighWaterMark',
    'LIMITS__SEND_HIGH_WATER_MARK',
    INTEGER,
    "Bytes queued for a slow client before its namespace's slowConsumerPolicy applies.",
  ),
  s(
    'sse.retryMs',
    'SSE__RETRY_MS',
    INTEGER,
    'The retry: field of GET /sse streams: how long a browser waits before reconnecting after a stream ends, in ms.',
  ),
  s(
    'sse.keepaliveMs',
    'SSE__KEEPALIVE_MS',
    INTEGER,
    'Period of the keepalive comments of GET /sse streams, in ms; keep it under the idle timeout of proxies in front.',
  ),
  s(
    'deflate.enabled',
    'DEFLATE__ENABLED',
    BOOLEAN,
    'Accept permessage-deflate (RFC 7692) offers on the WebSocket endpoint. Off: compression costs memory per connection and can leak secrets through lengths (CRIME/BREACH, docs/deflate.md).',
  ),
  s(
    'deflate.thresholdBytes',
    'DEFLATE__THRESHOLD_BYTES',
    INTEGER,
    'Messages smaller than this many bytes are sent uncompressed.',
  ),
  s(
    'deflate.serverNoContextTakeover',
    'DEFLATE__SERVER_NO_CONTEXT_TAKEOVER',
    BOOLEAN,
    "Reset the server's compression window after every message: less memory, a worse ratio, and no message shapes another's length.",
  ),
  s(
    'deflate.clientNoContextTakeover',
    'DEFLATE__CLIENT_NO_CONTEXT_TAKEOVER',
    BOOLEAN,
    'Ask clients to reset their compression window after every message (less server memory for inflating).',
  ),
  s(
    'deflate.serverMaxWindowBits',
    'DEFLATE__SERVER_MAX_WINDOW_BITS',
    INTEGER,
    "The server's compression window, 9 to 15 bits (2^n bytes).",
  ),
  s(
    'deflate.concurrency',
    'DEFLATE__CONCURRENCY',
    INTEGER,
    'Most zlib jobs in flight in the process (a FIFO queue beyond).',
  ),
  s(
    'limits.drainTimeoutMs',
    'LIMITS__DRAIN_TIMEOUT_MS',
    INTEGER,
    'How long SIGTERM waits for close handshakes before exiting, in ms.',
  ),
  s('limits.typingTimeoutMs', 'LIMITS__TYPING_TIMEOUT_MS', INTEGER, 'A typing indicator expires after this, in ms.'),
  s(
    'limits.idleTimeoutMs',
    'LIMITS__IDLE_TIMEOUT_MS',
    INTEGER,
    'Close a connection that sent no application message (pings do not count) for this long with 4506, in ms; 0 is off, because listeners legitimately send nothing.',
  ),
];
