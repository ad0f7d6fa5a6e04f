import { ConfigType } from '@nestjs/config';
import { z } from 'zod';
import { defineConfig, env } from '@clickstream/platform';

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000 } as const;

/** `1m`, `5m`, `1h`, `30s` → ms. */
export function parseDuration(s: string): number | null {
  const m = /^(\d+)([smh])$/.exec(s);
  if (!m || Number(m[1]) === 0) return null;
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

const windowSizes = env
  .list(['1m', '5m', '1h'])
  .refine(
    (items) => items.every((s) => parseDuration(s) !== null),
    'must be durations like 1m, 5m, 1h',
  )
  .transform((items) => [...new Set(items.map((s) => parseDuration(s)!))].sort((a, b) => a - b))
  .pipe(z.array(z.number()).min(1));

/** SPEC §6: tumbling windows of 1 min, 5 min and 1 h; empty `all` minutes up to 60 min after activity. */
export const aggregatorConfig = defineConfig(
  'aggregator',
  {
    AGGREGATOR_WINDOW_SIZES: windowSizes,
    AGGREGATOR_EMPTY_MINUTES_MAX: env.int(60, 0, 7 * 24 * 60),
    AGGREGATOR_FINALISE_INTERVAL_MS: env.int(1000, 100, 60_000),
  },
  (v) => ({
    windowSizesMs: v.AGGREGATOR_WINDOW_SIZES,
    emptyMinutesMax: v.AGGREGATOR_EMPTY_MINUTES_MAX,
    finaliseIntervalMs: v.AGGREGATOR_FINALISE_INTERVAL_MS,
  }),
);

export type AggregatorConfig = ConfigType<typeof aggregatorConfig>;
