// CLI config: the development configuration `switchboard serve --dev` (`npm start`) and `token --dev` start from.
import type { ServerConfigInput } from './schema.ts';

/**
 * HS256 secret of the development config. Public by design: never use it in production (production mode does
 * not start from DEV_CONFIG).
 */
export const DEV_SECRET = 'switchboard-development-secret-not-for-production';
/** API key of the development config for `POST /api/publish`. */
export const DEV_API_KEY = 'switchboard-dev-api-key';

/**
 * The documented development configuration that `npm start` (`switchboard serve --dev`) uses: plain HTTP on
 * 127.0.0.1:8080, anonymous chat allowed (anonymous users may read, publish, type, send private messages and call `rpc` methods),
 * demo namespaces `chat` (history 100, last 20 on join), `feed` (server-published only, the latest on join; the
 * demo prices and weather of src/cli/dev-feeds.ts) and `doc` (collaborative documents, kept in `./data/documents`), the development secret and API key above, and the page origins of that port.
 */
export const DEV_CONFIG: ServerConfigInput = Object.freeze({
  mode: 'development',
  host: '127.0.0.1',
  port: 8080,
  allowPlaintext: true,
  auth: { hs256Secret: DEV_SECRET, anonymous: { enabled: true, roles: ['anonymous'] } },
  roles: {
    admin: ['*'],
    user: ['subscribe', 'publish', 'history', 'presence', 'typing', 'send', 'rpc'],
    anonymous: ['subscribe', 'publish', 'history', 'presence', 'typing', 'send', 'rpc'],
  },
  namespaces: {
    chat: { historySize: 100, recoverOnJoin: 20, presence: true, joinLeave: true, typing: true },
    feed: {
      historySize: 100,
      // One publication on join: the latest price or weather of the channel, so a new subscriber is filled at once.
      recoverOnJoin: 1,
      allowClientPublish: false,
      presence: false,
      joinLeave: false,
      typing: false,
      slowConsumerPolicy: 'drop',
      // A dashboard that falls behind gets the newest price of every symbol instead of a backlog (docs/feeds.md).
      conflate: true,
    },
    doc: { historySize: 1000, recoverOnJoin: 0, presence: true, joinLeave: true, typing: false, document: true },
  },
  apiKeys: [DEV_API_KEY],
  log: { level: 'info', pretty: 'auto' },
  // Documents survive a restart: an append-only log per document under ./data/documents (git-ignored). The
  // directory is locked by one process; `--workers N` needs documents.store redis (docs/documents.md).
  documents: { store: 'file', dir: './data/documents' },
}) as ServerConfigInput;
