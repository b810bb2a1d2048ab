// Ingest: the only module other layers import (the runner, the source contract, the kinds and their options).
export type { Source, SourceMessage, SourceStatus } from './source.ts';
export {
  INGEST_OUTCOMES,
  IngestRunner,
  POISON_REASONS,
  type ConnectorStatus,
  type IngestConnector,
  type IngestObserver,
  type IngestOutcome,
  type IngestRunnerOptions,
  type IngestTarget,
  type PoisonReason,
} from './runner.ts';
export { decodePayload, MAX_PAYLOAD_DEPTH, PAYLOAD_CODECS, type Decoded, type PayloadCodec } from './codecs.ts';
export {
  compileTemplate,
  MAX_RENDERED_LENGTH,
  renderTemplate,
  TemplateError,
  type Rendered,
  type Template,
  type TemplateInput,
} from './templates.ts';
export {
  compileMapping,
  DEFAULT_MAX_PAYLOAD_BYTES,
  MappingOptionsSchema,
  type Mapping,
  type MappingOptionsInput,
} from './mapping.ts';
export { SOURCE_KINDS, type SourceKind } from './kinds.ts';
export {
  createConnectors,
  IngestConfigSchema,
  IngestEntrySchema,
  MAX_CONNECTORS,
  type IngestEntry,
  type IngestEntryInput,
} from './connectors.ts';
export { createNatsSource, natsSourceOptionsSchema, subjectMatches, type NatsSourceOptions } from './nats.ts';
export {
  createRedisStreamSource,
  redisStreamSourceOptionsSchema,
  type RedisStreamSourceOptions,
} from './redis-stream.ts';
export {
  createDemoSource,
  DEFAULT_PRICES_INTERVAL_MS,
  DEFAULT_WEATHER_INTERVAL_MS,
  demoSourceOptionsSchema,
  type DemoSourceDeps,
  type DemoSourceOptions,
} from './demo.ts';
export { DEMO_CITIES, DEMO_SYMBOLS, type PriceTick, type WeatherReport } from './demo-data.ts';
