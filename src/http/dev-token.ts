// HTTP: the development-only `POST /api/dev-token` endpoint (mints a one-hour token for a chosen name).
import type http from 'node:http';
import { type SigningKey, signToken } from '../realtime/index.ts';
import { type JsonAnswer, readBody } from './api.ts';

/** Answers `{"user": "name"}` with a token for that name (role `user`), or 400 for a bad body or name. */
export async function devToken(
  req: http.IncomingMessage,
  key: SigningKey,
  maxBodyBytes: number,
  userIdClaim: string,
): Promise<JsonAnswer> {
  let user: unknown;
  try {
    user = (JSON.parse((await readBody(req, Math.min(maxBodyBytes, 4096))).toString('utf8')) as { user?: unknown })
      .user;
  } catch {
    return { status: 400, body: { error: 'bad_request', message: 'Expected {"user": "name"}' } };
  }
  if (typeof user !== 'string' || !/^[A-Za-z0-9_\-.]{1,32}$/.test(user)) {
    return { status: 400, body: { error: 'invalid_message', message: 'A user name is 1-32 of A-Z a-z 0-9 _ - .' } };
  }
  const token = await signToken({ sub: user, roles: ['user'], ttlMs: 3_600_000, info: { name: user } }, key, {
    userIdClaim,
  });
  return { status: 200, body: { token } };
}
