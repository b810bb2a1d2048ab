// Ingest: the registry of source kinds. Each kind names the zod schema of its `source` options and the factory that
// builds it; configuration validation and `createConnectors` look kinds up here (one line per kind).
import type { z } from 'zod';
import { createAmqpSource } from './amqp.ts';
import { amqpSourceOptionsSchema } from './amqp-options.ts';
import { createDemoSource, demoSourceOptionsSchema } from './demo.ts';
import { createMqttSource, mqttSourceOptionsSchema } from './mqtt.ts';
import { createNatsSource, natsSourceOptionsSchema } from './nats.ts';
import { createRedisStreamSource, redisStreamSourceOptionsSchema } from './redis-stream.ts';
import type { Source } from './source.ts';

/** One kind of source: its options' schema and its factory. */
export interface SourceKind<S extends z.ZodType = z.ZodType> {
  readonly schema: S;
  create(name: string, options: z.input<S>): Source;
}

function kind<S extends z.ZodType>(schema: S, create: (name: string, options: z.input<S>) => Source): SourceKind<S> {
  return { schema, create };
}

/** Every source kind `serve` can configure, by the `kind` field of its `source` options. */
export const SOURCE_KINDS: Readonly<Record<string, SourceKind>> = {
  nats: kind(natsSourceOptionsSchema, createNatsSource),
  'redis-stream': kind(redisStreamSourceOptionsSchema, createRedisStreamSource),
  amqp: kind(amqpSourceOptionsSchema, createAmqpSource),
  mqtt: kind(mqttSourceOptionsSchema, createMqttSource),
  demo: kind(demoSourceOptionsSchema, createDemoSource),
};
