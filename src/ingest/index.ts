// Ingest (live data feeds): the public surface of the layer: the Source contract and the sources.
export type { Source, SourceMessage, SourceStatus } from './source.ts';
export {
  createDemoSource,
  DEFAULT_PRICES_INTERVAL_MS,
  DEFAULT_WEATHER_INTERVAL_MS,
  demoSourceOptionsSchema,
  type DemoSourceDeps,
  type DemoSourceOptions,
} from './demo.ts';
export { DEMO_CITIES, DEMO_SYMBOLS, type PriceTick, type WeatherReport } from './demo-data.ts';
