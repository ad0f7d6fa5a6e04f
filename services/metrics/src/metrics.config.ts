import { ConfigType } from '@nestjs/config';
import { defineConfig, env } from '@clickstream/platform';

/** Query API and gauges of the metrics service (SPEC §8). */
export const metricsConfig = defineConfig(
  'metrics',
  {
    /** Empty or unset: no authentication, as ingest's INGEST_API_KEYS. */
    METRICS_API_KEYS: env.optionalList(),
    METRICS_PAGE_DEFAULT_LIMIT: env.int(100, 1, 1000),
    METRICS_PAGE_MAX_LIMIT: env.int(1000, 1, 1000),
    /** Gauges are read from Postgres and Kafka at most this often, however often Prometheus scrapes. */
    METRICS_GAUGE_REFRESH_MS: env.int(10_000, 100, 3_600_000),
    /** Consumer groups whose lag is reported; unset: the three processors' groups (with KAFKA_TOPIC_PREFIX). */
    METRICS_LAG_GROUPS: env.optionalList(),
  },
  (v) => ({
    apiKeys: v.METRICS_API_KEYS,
    defaultLimit: Math.min(v.METRICS_PAGE_DEFAULT_LIMIT, v.METRICS_PAGE_MAX_LIMIT),
    maxLimit: v.METRICS_PAGE_MAX_LIMIT,
    gaugeRefreshMs: v.METRICS_GAUGE_REFRESH_MS,
    lagGroups: v.METRICS_LAG_GROUPS,
  }),
);

export type MetricsConfig = ConfigType<typeof metricsConfig>;

/** Application ids of the stream processors; their consumer groups are `${KAFKA_TOPIC_PREFIX}${id}`. */
export const PROCESSOR_APP_IDS = ['clickstream-sessionizer', 'clickstream-aggregator', 'clickstream-fraud-detector'] as const;

export function lagGroups(config: MetricsConfig, topicPrefix: string): string[] {
  if (config.lagGroups.length > 0) return config.lagGroups;
  return PROCESSOR_APP_IDS.map((id) => `${topicPrefix}${id}`);
}
