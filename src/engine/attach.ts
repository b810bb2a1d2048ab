// Node binding: sharing an existing http(s).Server's upgrades among the WebSocket servers attached to it.
import type http from 'node:http';
import type https from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type tls from 'node:tls';
import { writeRejection } from './upgrade.ts';

/** What the router needs from one attached WebSocket server. */
export interface UpgradeRoute {
  /** Whether this upgrade is for the route's path. */
  shouldHandle(req: http.IncomingMessage): boolean;
  /** Runs the handshake (always answers). */
  handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void;
}

interface Router {
  readonly routes: UpgradeRoute[];
  readonly listener: (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void;
}

const routers = new WeakMap<http.Server | https.Server, Router>();

/**
 * Adds `route` to the one `upgrade` listener this module keeps per http.Server: the first route
 * whose path matches handles the upgrade. An upgrade no route wants is left to the server's other
 * `upgrade` listeners, or answered 404 when there are none, so its socket never leaks (HS-10).
 * @param server - the application's server
 * @param route - the WebSocket server to add
 * @returns removes the route (and the listener with the last route)
 */
export function attachRoute(server: http.Server | https.Server, route: UpgradeRoute): () => void {
  let router = routers.get(server);
  if (router === undefined) {
    const routes: UpgradeRoute[] = [];
    const listener = (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
      for (const r of routes) {
        if (r.shouldHandle(req)) {
          r.handleUpgrade(req, socket, head);
          return;
        }
      }
      if (server.listenerCount('upgrade') <= 1) {
        socket.on('error', () => {});
        writeRejection(socket, 404);
      }
    };
    router = { routes, listener };
    routers.set(server, router);
    server.on('upgrade', listener);
  }
  const { routes, listener } = router;
  routes.push(route);
  return () => {
    const i = routes.indexOf(route);
    if (i >= 0) routes.splice(i, 1);
    if (routes.length === 0) {
      server.removeListener('upgrade', listener);
      routers.delete(server);
    }
  };
}

/**
 * Bounds the TLS handshake of every connection of an attached https.Server by `timeoutMs`. Node's
 * own default is 120 s, which a client that never sends its ClientHello can hold open (HS-19).
 * The TLS socket and its raw socket share the peer's address and port, which pairs them.
 * @param server - the TLS server
 * @param timeoutMs - the deadline
 * @returns removes the listeners and timers
 */
export function boundTlsHandshakes(server: tls.Server, timeoutMs: number): () => void {
  const pending = new Map<string, NodeJS.Timeout>();
  const keyOf = (s: Socket): string => `${s.remoteAddress ?? ''}|${s.remotePort ?? ''}`;
  const onConnection = (raw: Socket): void => {
    const key = keyOf(raw);
    const timer = setTimeout(() => {
      pending.delete(key);
      raw.destroy();
    }, timeoutMs);
    timer.unref();
    pending.set(key, timer);
    raw.once('close', () => {
      if (pending.get(key) === timer) pending.delete(key);
      clearTimeout(timer);
    });
  };
  const onSecure = (secure: Socket): void => {
    const key = keyOf(secure);
    const timer = pending.get(key);
    if (timer !== undefined) {
      clearTimeout(timer);
      pending.delete(key);
    }
  };
  server.on('connection', onConnection);
  server.on('secureConnection', onSecure);
  return () => {
    server.removeListener('connection', onConnection);
    server.removeListener('secureConnection', onSecure);
    for (const timer of pending.values()) clearTimeout(timer);
    pending.clear();
  };
}
