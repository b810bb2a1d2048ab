// CLI: loads `serve --logic <module>`: an ES module whose default export is server logic (ServerLogic hooks, and an
// `rpc` map of in-process methods or an `rpc` fallback function), checked before the server starts.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RPC_METHOD_NAME } from '../messages/index.ts';
import type { RpcHandler, ServerLogic } from '../realtime/index.ts';

/** The hooks a logic module may export (besides `rpc`). */
const HOOKS = ['onConnect', 'onRefresh', 'onSubscribe', 'onPublish', 'onDisconnect'] as const;

/** A logic module, checked: the hooks to `use` and the methods to register with `rpc(name, handler)`. */
export interface LoadedLogic {
  /** The hooks (and an `rpc` fallback function), or null when the module exports only methods. */
  readonly logic: ServerLogic | null;
  /** In-process RPC methods by name. */
  readonly methods: ReadonlyMap<string, RpcHandler>;
}

/** A logic module that cannot be used; the message names the module and what is wrong. */
export class LogicModuleError extends Error {
  override readonly name = 'LogicModuleError';
}

/**
 * Imports and checks a logic module. Its default export is an object with any of `onConnect`, `onRefresh`,
 * `onSubscribe`, `onPublish`, `onDisconnect` (functions) and `rpc`: a function (`ServerLogic.rpc`, the fallback for
 * methods without a handler) or an object mapping method names to handlers.
 * @param path The module's path, relative to `cwd` or absolute.
 * @param cwd Where a relative path starts.
 * @returns The hooks and methods.
 * @throws {LogicModuleError} When the module cannot be imported or its default export has another shape.
 */
export async function loadLogicModule(path: string, cwd: string): Promise<LoadedLogic> {
  const file = resolve(cwd, path);
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (cause) {
    throw new LogicModuleError(`cannot import ${file}: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
  }
  const exported = module.default;
  if (typeof exported !== 'object' || exported === null || Array.isArray(exported))
    throw new LogicModuleError(`${file}: expected a default export { onConnect?, onPublish?, ..., rpc? }`);
  const source = exported as Record<string, unknown>;
  const known = new Set<string>([...HOOKS, 'rpc']);
  const unknown = Object.keys(source).filter((key) => !known.has(key));
  if (unknown.length > 0)
    throw new LogicModuleError(
      `${file}: unknown export member(s) ${unknown.join(', ')} (expected ${[...known].join(', ')})`,
    );
  const logic: Record<string, unknown> = {};
  for (const hook of HOOKS) {
    const value = source[hook];
    if (value === undefined) continue;
    if (typeof value !== 'function') throw new LogicModuleError(`${file}: ${hook} is not a function`);
    logic[hook] = value.bind(exported);
  }
  const methods = new Map<string, RpcHandler>();
  const rpc = source['rpc'];
  if (typeof rpc === 'function') logic['rpc'] = rpc.bind(exported);
  else if (typeof rpc === 'object' && rpc !== null && !Array.isArray(rpc)) {
    for (const [name, handler] of Object.entries(rpc)) {
      if (!RPC_METHOD_NAME.test(name))
        throw new LogicModuleError(`${file}: rpc method "${name}" is not 1-64 of A-Z a-z 0-9 _ . : -`);
      if (typeof handler !== 'function') throw new LogicModuleError(`${file}: rpc.${name} is not a function`);
      methods.set(name, handler as RpcHandler);
    }
  } else if (rpc !== undefined)
    throw new LogicModuleError(`${file}: rpc must be a function or an object of { method: handler }`);
  return { logic: Object.keys(logic).length === 0 ? null : (logic as ServerLogic), methods };
}
