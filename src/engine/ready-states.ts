// Node binding: the WHATWG ready states by name, a leaf module every part of the binding can import.

/** WHATWG ready states: CONNECTING, OPEN, CLOSING, CLOSED. */
export type ReadyState = 0 | 1 | 2 | 3;

/** The WHATWG ready-state values, by name. */
export const ReadyStates = { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 } as const;
