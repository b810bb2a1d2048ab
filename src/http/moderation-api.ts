// HTTP: the moderation API: delete a publication, ban and unban users, list bans, kick a user from a channel.
import type http from 'node:http';
import { BrokerError } from '../broker/index.ts';
import { isValidChannelName, Limits } from '../messages/index.ts';
import {
  isModeratedUser,
  isModerationReason,
  MAX_BAN_MS,
  MAX_MODERATION_REASON_LENGTH,
  type RealtimeServer,
} from '../realtime/index.ts';
import { checkSignedRequest, isSignedRequest, readApiObject, type ApiOptions, type JsonAnswer } from './api.ts';

/** Longest ban in seconds (a year), as `durationSec` takes it. */
export const MAX_BAN_SEC = MAX_BAN_MS / 1000;
/** Most bans `GET /api/bans` lists (soonest ending first). */
const MAX_LISTED_BANS = 1000;

/** Whether a value is a ban duration in whole seconds, from 1 s to a year. */
function isDurationSec(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1 && value <= MAX_BAN_SEC;
}

const invalid = (message: string): JsonAnswer => ({ status: 400, body: { error: 'invalid_message', message } });

/** Answers a broker failure with 503, anything else is rethrown (500). */
function brokerDown(err: unknown): JsonAnswer {
  if (err instanceof BrokerError)
    return {
      status: 503,
      body: { error: 'broker_unavailable', message: 'The message broker is unavailable' },
      headers: { 'Retry-After': '1' },
    };
  throw err;
}

/**
 * `POST /api/delete` with `{"channel", "offset", "epoch"?}`: the publication becomes a tombstone; subscribers on every
 * node get `deleted`.
 * @returns 200 `{channel, epoch, offset, alreadyDeleted}`, 404 `not_found` (unknown namespace, or no retained
 *   publication at that offset), or 400/401/403/413/415/503.
 */
export async function handleDelete(
  req: http.IncomingMessage,
  hub: RealtimeServer,
  options: ApiOptions,
): Promise<JsonAnswer> {
  const read = await readApiObject(req, options, ['channel', 'offset', 'epoch']);
  if ('answer' in read) return read.answer;
  const { channel, offset, epoch } = read.body;
  if (!isValidChannelName(channel)) return invalid('Invalid channel name');
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0)
    return invalid('Invalid offset: expected a non-negative integer');
  if (epoch !== undefined && (typeof epoch !== 'string' || !/^[\x21-\x7e]{1,64}$/.test(epoch)))
    return invalid('Invalid epoch');
  let outcome;
  try {
    outcome = await hub.moderation.deletePublication(channel, offset, epoch);
  } catch (err) {
    if (err instanceof RangeError) return { status: 404, body: { error: 'not_found', message: 'Unknown namespace' } };
    return brokerDown(err);
  }
  if (outcome.result === 'not_found')
    return { status: 404, body: { error: 'not_found', message: 'No retained publication at this offset' } };
  return {
    status: 200,
    body: { channel, epoch: outcome.epoch, offset, alreadyDeleted: outcome.result === 'already_deleted' },
  };
}

/**
 * `POST /api/ban` with `{"user", "durationSec", "reason"?}`: the user is refused at connect, refresh and subscribe on
 * every node until the ban ends, and their live sessions are closed (4504).
 * @returns 200 `{user, until, reason, disconnected}` (`until` in ms since the Unix epoch; `disconnected` on this
 *   node), or 400 for a bad user, a duration outside 1 s to a year or a bad reason, 401/403/413/415/503.
 */
export async function handleBan(
  req: http.IncomingMessage,
  hub: RealtimeServer,
  options: ApiOptions,
): Promise<JsonAnswer> {
  const read = await readApiObject(req, options, ['user', 'durationSec', 'reason']);
  if ('answer' in read) return read.answer;
  const { user, durationSec, reason = '' } = read.body;
  if (!isModeratedUser(user)) return invalid(`Invalid user: 1-${Limits.MAX_USER_LENGTH} printable characters`);
  if (
    typeof durationSec !== 'number' ||
    !Number.isSafeInteger(durationSec) ||
    durationSec < 1 ||
    durationSec > MAX_BAN_SEC
  )
    return invalid(`Invalid durationSec: an integer from 1 to ${MAX_BAN_SEC} (a year)`);
  if (!isModerationReason(reason))
    return invalid(`Invalid reason: at most ${MAX_MODERATION_REASON_LENGTH} printable characters`);
  try {
    const ban = await hub.moderation.ban(user, durationSec * 1000, reason);
    return { status: 200, body: { user, until: ban.until, reason: ban.reason, disconnected: ban.disconnected } };
  } catch (err) {
    return brokerDown(err);
  }
}

/**
 * `POST /api/unban` with `{"user", "channel"?}`: lifts the user's ban, or with `channel` their ban from that channel.
 * @returns 200 `{user, channel?, unbanned}` (`unbanned` false when there was no ban), or 400/401/403/404/413/415/503.
 */
export async function handleUnban(
  req: http.IncomingMessage,
  hub: RealtimeServer,
  options: ApiOptions,
): Promise<JsonAnswer> {
  const read = await readApiObject(req, options, ['user', 'channel']);
  if ('answer' in read) return read.answer;
  const { user, channel } = read.body;
  if (!isModeratedUser(user)) return invalid('Invalid user');
  if (channel !== undefined && !isValidChannelName(channel)) return invalid('Invalid channel name');
  try {
    const unbanned = await hub.moderation.unban(user, channel);
    return { status: 200, body: { user, ...(channel === undefined ? {} : { channel }), unbanned } };
  } catch (err) {
    if (err instanceof RangeError) return { status: 404, body: { error: 'not_found', message: 'Unknown namespace' } };
    return brokerDown(err);
  }
}

/**
 * `GET /api/bans`: the bans in force, soonest ending first (at most 1000); a ban from one channel has its `channel`.
 * @returns 200 `{bans: [{user, channel?, until, reason}]}`, or 401/403/503.
 */
export async function handleBans(
  req: http.IncomingMessage,
  hub: RealtimeServer,
  options: ApiOptions,
): Promise<JsonAnswer> {
  req.resume();
  const signatures = options.signatures ?? null;
  // A signed GET signs the empty body: `t.GET./api/bans.` (docs/webhooks.md).
  const signed = signatures !== null && isSignedRequest(req);
  if (signed) {
    const refused = checkSignedRequest(req, Buffer.alloc(0), signatures);
    if (refused !== null) return refused;
  }
  const key = signed ? 'ok' : options.keys.check(req);
  if (key === 'missing')
    return {
      status: 401,
      body: { error: 'unauthorized', message: 'An API key is required' },
      headers: { 'WWW-Authenticate': 'Bearer' },
    };
  if (key === 'invalid') return { status: 403, body: { error: 'forbidden', message: 'Invalid API key' } };
  try {
    const bans = await hub.moderation.bans(MAX_LISTED_BANS);
    return {
      status: 200,
      body: {
        bans: bans.map((b) => ({
          user: b.user,
          ...(b.channel === undefined ? {} : { channel: b.channel }),
          until: b.until,
          reason: b.reason,
        })),
      },
    };
  } catch (err) {
    return brokerDown(err);
  }
}

/**
 * `POST /api/kick` with `{"user", "channel", "reason"?, "durationSec"?}`: every session of the user on every node is
 * unsubscribed from the channel (`unsubscribed` with code `forbidden`). Without `durationSec` not a ban: they may
 * subscribe again; with it they are banned from that channel for that long (1 s to a year).
 * @returns 200 `{user, channel, unsubscribed}` (this node's count), or 400/401/403/404/413/415/503.
 */
export async function handleKick(
  req: http.IncomingMessage,
  hub: RealtimeServer,
  options: ApiOptions,
): Promise<JsonAnswer> {
  const read = await readApiObject(req, options, ['user', 'channel', 'reason', 'durationSec']);
  if ('answer' in read) return read.answer;
  const { user, channel, reason = '', durationSec } = read.body;
  if (!isModeratedUser(user)) return invalid('Invalid user');
  if (!isValidChannelName(channel)) return invalid('Invalid channel name');
  if (!isModerationReason(reason))
    return invalid(`Invalid reason: at most ${MAX_MODERATION_REASON_LENGTH} printable characters`);
  if (durationSec !== undefined && !isDurationSec(durationSec))
    return invalid(`Invalid durationSec: an integer from 1 to ${MAX_BAN_SEC} (a year)`);
  try {
    const unsubscribed = await hub.moderation.kick(
      user,
      channel,
      reason,
      durationSec === undefined ? undefined : durationSec * 1000,
    );
    return { status: 200, body: { user, channel, unsubscribed } };
  } catch (err) {
    if (err instanceof RangeError) return { status: 404, body: { error: 'not_found', message: 'Unknown namespace' } };
    return brokerDown(err);
  }
}
