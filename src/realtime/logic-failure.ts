// Realtime: the bounded names of the server logic's hooks and of the ways a call to them fails (metric labels).

/** The hooks the hub calls; `rpc` covers both in-process handlers and `ServerLogic.rpc`. */
export const LOGIC_HOOKS = ['onConnect', 'onRefresh', 'onSubscribe', 'onPublish', 'onDisconnect', 'rpc'] as const;
/** One of {@link LOGIC_HOOKS}. */
export type LogicHook = (typeof LOGIC_HOOKS)[number];

/** Why a call to the logic failed: it threw (or rejected), missed its deadline, or answered something of the wrong shape. */
export const LOGIC_FAILURE_REASONS = ['threw', 'timeout', 'invalid'] as const;
/** One of {@link LOGIC_FAILURE_REASONS}. */
export type LogicFailureReason = (typeof LOGIC_FAILURE_REASONS)[number];
