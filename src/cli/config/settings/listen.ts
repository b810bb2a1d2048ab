// CLI config, settings table: the mode, the listen address and port, the endpoint paths and TLS.
// Rows in the order of the schema; settings.ts joins the groups in that order.
import { SETTING_KINDS, type Setting, settingRow as s } from '../setting.ts';

const { INTEGER, BOOLEAN, STRING, ENUM } = SETTING_KINDS;

/** Rows of the table, in schema order. */
export const LISTEN_SETTINGS: readonly Setting[] = [
  s(
    'mode',
    'MODE',
    ENUM,
    '`production` refuses unsafe settings (plain ws:// without allowPlaintext); `development` is what `--dev` starts from.',
  ),
  s('host', 'HOST', STRING, 'Listen address; loopback unless told otherwise (containers set 0.0.0.0).', {
    flag: { name: '--host', arg: '<addr>', help: 'listen address (default 127.0.0.1)' },
  }),
  s('port', 'PORT', INTEGER, 'Listen port; 0 picks a free one (the "listening on" line says which).', {
    flag: { name: '--port', arg: '<n>', help: 'listen port (default 8080; 0 picks a free one)' },
  }),
  s('paths.ws', 'PATHS__WS', STRING, 'Path of the WebSocket endpoint.'),
  s('paths.publish', 'PATHS__PUBLISH', STRING, 'Path of POST /api/publish.'),
  s('paths.disconnect', 'PATHS__DISCONNECT', STRING, 'Path of POST /api/disconnect.'),
  s('paths.stats', 'PATHS__STATS', STRING, 'Path of GET /api/stats.'),
  s('paths.health', 'PATHS__HEALTH', STRING, 'Path of the liveness endpoint.'),
  s('paths.ready', 'PATHS__READY', STRING, 'Path of the readiness endpoint.'),
  s('paths.metrics', 'PATHS__METRICS', STRING, 'Path of the Prometheus metrics.'),
  s(
    'tls.certFile',
    'TLS__CERT_FILE',
    STRING,
    'PEM certificate chain; with tls.keyFile the server serves https:// and wss:// itself (SIGHUP reloads both).',
    { defaultText: 'unset (tls is null: no TLS)' },
  ),
  s('tls.keyFile', 'TLS__KEY_FILE', STRING, 'PEM private key matching tls.certFile.', {
    defaultText: 'unset (tls is null: no TLS)',
  }),
  s(
    'allowPlaintext',
    'ALLOW_PLAINTEXT',
    BOOLEAN,
    'Allow a plaintext listener in production, for a TLS-terminating proxy in front (AU-14).',
  ),
];
