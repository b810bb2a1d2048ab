// Node-free application protocol: the only module other layers import (schemas, codecs, error codes).
export { ErrorCode, ERROR_CODE_DESCRIPTIONS, DisconnectCode, DISCONNECT_INFO, shouldReconnect } from './errors.ts';
export { Limits, isValidChannelName, channelNamespace, isPrintableString } from './limits.ts';
export { isForbiddenKey, exceedsJsonDepth, checkJsonValue, utf8Length } from './safe-value.ts';
export { scanMsgpack, type MsgpackScanOptions } from './msgpack-scan.ts';
export * from './schemas.ts';
export {
  Subprotocol, JsonCodec, MsgpackCodec, validateClientMessage, validateServerMessage, selectSubprotocol, createCodec,
  type Codec, type CodecOptions, type DecodeError, type DecodeResult, type ValidateOptions,
} from './codec.ts';
