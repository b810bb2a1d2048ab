// Messages: a client's `doc` message checked by hand. It is the message a document editor sends on every keystroke,
// and zod's strict-object walk was most of its decoding; this accepts exactly what `DocSchema` accepts (a property
// test holds it to the schema), and anything it does not accept goes to the schema, which words the error.
import { BASE64_TEXT, Limits, isDocKind, isValidChannelName } from './limits.ts';
import type { DocMessage } from './schemas.ts';

/**
 * A plain object (checked by the caller, with JSON values only) as a client `doc` message, when `DocSchema` accepts
 * it: only its fields, each of its type and within its bounds.
 * @param value The decoded message, `type` already read as `doc`.
 * @returns The same object, typed; null when the schema should decide (and word the error).
 */
export function asDocMessage(value: Readonly<Record<string, unknown>>): DocMessage | null {
  for (const key in value) {
    if (!Object.hasOwn(value, key)) return null;
    switch (key) {
      case 'type':
      case 'channel':
      case 'kind':
      case 'data':
        break;
      case 'rid': {
        const rid = value['rid'];
        if (!Number.isSafeInteger(rid) || (rid as number) < 0 || (rid as number) > Limits.MAX_RID) return null;
        break;
      }
      case 'more':
        if (value['more'] !== true) return null;
        break;
      case 'quiet':
        if (typeof value['quiet'] !== 'boolean') return null;
        break;
      default:
        return null;
    }
  }
  if (value['type'] !== 'doc' || !isDocKind(value['kind'])) return null;
  // The channel's length bound is isValidChannelName's too.
  if (!isValidChannelName(value['channel'])) return null;
  const data = value['data'];
  if (typeof data !== 'string' || data.length > Limits.MAX_MESSAGE_SIZE || !BASE64_TEXT.test(data)) return null;
  return value as DocMessage;
}
