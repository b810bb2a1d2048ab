// HTTP transports: the parts of a request the endpoints read: a query parameter, a bounded JSON body.
import type http from 'node:http';
import { checkJsonValue, Limits } from '../../messages/index.ts';
import { BodyError, readBody } from '../api.ts';
import { errorAnswer, type RawAnswer } from './answers.ts';

/**
 * A query parameter of a request target, as `URLSearchParams#get` reads it (the first of that name, `+` as a space,
 * percent-decoded), without building a URL per request: polls are the hot path.
 * @param target The request target (`/http/poll?session=…&ack=…`).
 * @param name The parameter.
 * @returns Its value, or null when absent or not decodable.
 */
export function queryValue(target: string, name: string): string | null {
  const q = target.indexOf('?');
  if (q < 0) return null;
  let at = q + 1;
  while (at <= target.length) {
    let end = target.indexOf('&', at);
    if (end < 0) end = target.length;
    const eq = target.indexOf('=', at);
    const keyEnd = eq >= 0 && eq < end ? eq : end;
    if (keyEnd - at === name.length && target.startsWith(name, at)) {
      const raw = keyEnd === end ? '' : target.slice(keyEnd + 1, end);
      if (!raw.includes('%') && !raw.includes('+')) return raw;
      try {
        return decodeURIComponent(raw.replaceAll('+', ' '));
      } catch {
        return null;
      }
    }
    at = end + 1;
  }
  return null;
}

/** Reads a bounded JSON body: 413 past the bound, 400 for what is not safe JSON. */
export async function readJson(
  req: http.IncomingMessage,
  maxBytes: number,
): Promise<{ readonly value: unknown } | RawAnswer> {
  let raw: Buffer;
  try {
    raw = await readBody(req, maxBytes);
  } catch (err) {
    const status = err instanceof BodyError ? err.status : 400;
    return errorAnswer(status, status === 413 ? 'too_large' : 'bad_request', (err as Error).message);
  }
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
  } catch {
    return errorAnswer(400, 'bad_request', 'Invalid JSON');
  }
  // One level more than a message: the array around the messages.
  const unsafe = checkJsonValue(value, Limits.MAX_DEPTH + 1);
  if (unsafe !== null) return errorAnswer(400, 'bad_request', unsafe);
  return { value };
}
