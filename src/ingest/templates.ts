// Ingest: channel and key templates. `feed:prices.{subject.1}` takes the second dot-separated token of the source
// subject, `{payload.quote.symbol}` a field of the decoded payload, `{header.region}` a header. Compiled once at
// configuration time (a malformed template stops the start); rendered per message (a missing token makes it poison).
import type { JsonValue } from '../messages/index.ts';

/** Longest text a template may render to: a channel name is at most 255 code units, a feed key the same. */
export const MAX_RENDERED_LENGTH = 255;

/** One piece of a compiled template. */
type Part =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'subject'; readonly index: number }
  | { readonly kind: 'payload'; readonly path: readonly string[] }
  | { readonly kind: 'header'; readonly name: string };

/** A compiled template; render it with {@link renderTemplate}. */
export interface Template {
  /** The template as written. */
  readonly source: string;
  readonly parts: readonly Part[];
}

/** What a template reads from one message. */
export interface TemplateInput {
  /** The source subject (NATS subject, routing key, stream key, MQTT topic). */
  readonly subject: string;
  /** Separator of subject tokens: `.` for NATS and AMQP, `/` for MQTT. */
  readonly separator: string;
  /** The decoded payload (undefined when the codec produced none). */
  readonly payload: JsonValue | undefined;
  readonly headers?: Readonly<Record<string, string>> | undefined;
}

/** The outcome of {@link renderTemplate}. */
export type Rendered = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly detail: string };

/** A template that cannot be compiled; its message names the position. */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

const TOKEN = /^(subject|payload|header)\.(.+)$/;
const FIELD = /^[A-Za-z0-9_$-]{1,64}$/;
const HEADER = /^[A-Za-z0-9_-]{1,64}$/;
/** Fields a payload path may never walk through (prototype pollution, not data). */
const FORBIDDEN = new Set(['__proto__', 'prototype', 'constructor']);

/**
 * Compiles a template.
 * @param source The template: literal text with `{subject.N}`, `{payload.a.b}` and `{header.name}` tokens.
 * @returns The compiled template.
 * @throws {TemplateError} For an unclosed or empty brace, an unknown token kind, a bad index or field name.
 */
export function compileTemplate(source: string): Template {
  const parts: Part[] = [];
  let i = 0;
  while (i < source.length) {
    const open = source.indexOf('{', i);
    const close = source.indexOf('}', i);
    if (close !== -1 && (open === -1 || close < open)) throw new TemplateError(`unmatched "}" at ${close}`);
    if (open === -1) {
      parts.push({ kind: 'text', text: source.slice(i) });
      break;
    }
    if (open > i) parts.push({ kind: 'text', text: source.slice(i, open) });
    if (close === -1) throw new TemplateError(`unclosed "{" at ${open}`);
    const token = source.slice(open + 1, close);
    if (token.includes('{')) throw new TemplateError(`unclosed "{" at ${open}`);
    parts.push(parseToken(token, open));
    i = close + 1;
  }
  if (parts.length === 0) throw new TemplateError('empty template');
  return { source, parts };
}

function parseToken(token: string, at: number): Part {
  const m = TOKEN.exec(token);
  if (m === null)
    throw new TemplateError(
      `unknown token {${token}} at ${at}: expected {subject.N}, {payload.field} or {header.name}`,
    );
  const [, kind, rest] = m as unknown as [string, string, string];
  if (kind === 'subject') {
    if (!/^\d{1,3}$/.test(rest)) throw new TemplateError(`{subject.${rest}} at ${at}: expected a token index 0-999`);
    return { kind: 'subject', index: Number(rest) };
  }
  if (kind === 'header') {
    if (!HEADER.test(rest)) throw new TemplateError(`{header.${rest}} at ${at}: expected a header name`);
    return { kind: 'header', name: rest.toLowerCase() };
  }
  const path = rest.split('.');
  if (path.length > 16 || !path.every((f) => FIELD.test(f) && !FORBIDDEN.has(f)))
    throw new TemplateError(`{payload.${rest}} at ${at}: expected up to 16 dot-separated field names`);
  return { kind: 'payload', path };
}

/**
 * Renders a template for one message.
 * @param template A compiled template.
 * @param input The message's subject, decoded payload and headers.
 * @returns The text, or what was missing (a subject token, a payload field that is absent or not a string or
 *   finite number, a header), or that the result is empty or too long.
 */
export function renderTemplate(template: Template, input: TemplateInput): Rendered {
  let out = '';
  let tokens: string[] | null = null;
  for (const part of template.parts) {
    switch (part.kind) {
      case 'text':
        out += part.text;
        break;
      case 'subject': {
        tokens ??= input.subject.split(input.separator);
        const token = tokens[part.index];
        if (token === undefined || token === '') return { ok: false, detail: `subject has no token ${part.index}` };
        out += token;
        break;
      }
      case 'header': {
        const value = input.headers?.[part.name];
        if (value === undefined || value === '') return { ok: false, detail: `no header ${part.name}` };
        out += value;
        break;
      }
      case 'payload': {
        const value = field(input.payload, part.path);
        if (typeof value === 'string' && value !== '') out += value;
        else if (typeof value === 'number' && Number.isFinite(value)) out += String(value);
        else
          return {
            ok: false,
            detail: `payload.${part.path.join('.')} is ${value === undefined ? 'missing' : 'not a string or number'}`,
          };
        break;
      }
    }
    if (out.length > MAX_RENDERED_LENGTH) return { ok: false, detail: `longer than ${MAX_RENDERED_LENGTH} characters` };
  }
  if (out === '') return { ok: false, detail: 'renders empty' };
  return { ok: true, value: out };
}

function field(value: JsonValue | undefined, path: readonly string[]): JsonValue | undefined {
  let v: JsonValue | undefined = value;
  for (const name of path) {
    if (v === null || typeof v !== 'object' || Array.isArray(v) || !Object.hasOwn(v, name)) return undefined;
    v = v[name];
  }
  return v;
}
