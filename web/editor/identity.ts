// Editor page (browser): who this editor is to the others: a name and a colour, and the check every colour from
// another editor's awareness state passes before it reaches a style rule (awareness is peer input).

/** Cursor colours, readable behind white text and far apart in hue (no two reds). */
const PALETTE = ['#d7263d', '#1b998b', '#2e86ab', '#8c4bd6', '#e06c00', '#3a7d44', '#a67c00', '#5c6bc0'] as const;

/** The colour shown for a peer whose state carries none (or an invalid one). */
export const DEFAULT_COLOR = '#30bced';

/**
 * A stable colour for a name, so an editor keeps its colour across reloads and on every screen.
 * @param name The user name.
 * @returns A colour of the palette.
 */
export function colorFor(name: string): string {
  let hash = 0;
  for (let i = 0; i < name.length; i++) hash = (hash * 31 + name.charCodeAt(i)) >>> 0;
  return PALETTE[hash % PALETTE.length] ?? DEFAULT_COLOR;
}

/**
 * A peer's colour if it is a plain `#rrggbb` (nothing else goes into a style rule), else the default.
 * @param value The `user.color` of an awareness state.
 */
export function safeColor(value: unknown): string {
  return typeof value === 'string' && /^#[0-9a-fA-F]{6}$/.test(value) ? value.toLowerCase() : DEFAULT_COLOR;
}

/** Most characters of a peer's name shown (a long name is cut, with an ellipsis, by CSS before that). */
const MAX_NAME_LENGTH = 64;

/**
 * A peer's name for display (text only, never markup).
 * @param value The `user.name` of an awareness state.
 */
export function safeName(value: unknown): string {
  return typeof value === 'string' && value.trim() !== '' ? value.slice(0, MAX_NAME_LENGTH) : 'anonymous';
}

/** The `user` field of an awareness state, as y-codemirror.next and y-websocket clients read it. */
export interface AwarenessUser {
  readonly name: string;
  readonly color: string;
  readonly colorLight: string;
}

/**
 * This editor's awareness `user` field.
 * @param name The signed-in user.
 */
export function userFor(name: string): AwarenessUser {
  const color = colorFor(name);
  return { name, color, colorLight: `${color}33` };
}
