// Types of control.mjs for the TypeScript benchmark server.
export function serveControl(extra?: () => Record<string, number>, stop?: () => Promise<void> | void): void;
