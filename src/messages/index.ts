// Node-free application protocol: the module other layers import (schemas, codecs, error codes). Code that must not
// carry zod or msgpackr (the browser client) imports core.ts, whose exports are all repeated here.
export * from './core.ts';
export { scanMsgpack, type MsgpackScanOptions } from './msgpack-scan.ts';
export * from './schemas.ts';
export {
  JsonCodec,
  MsgpackCodec,
  validateClientMessage,
  validateServerMessage,
  createCodec,
  type Codec,
  type CodecOptions,
  type DecodeError,
  type DecodeResult,
  type ValidateOptions,
} from './codec.ts';
