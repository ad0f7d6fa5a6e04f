import { ConfigType } from '@nestjs/config';
import { z } from 'zod';
import { defineConfig, env } from '@clickstream/platform';

/** `id:key` or a bare key (its id is then a digest prefix); ids name who changed a rule, keys never show. */
const ADMIN_KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
export const MIN_ADMIN_KEY_LENGTH = 16;

export interface AdminKey {
  id: string;
  key: string;
}

const adminKeys = () =>
  env.optionalList().transform((entries, ctx): AdminKey[] => {
    const keys: AdminKey[] = [];
    for (const [index, entry] of entries.entries()) {
      const colon = entry.indexOf(':');
      const id = colon > 0 ? entry.slice(0, colon) : '';
      const key = colon > 0 ? entry.slice(colon + 1) : entry;
      // Never echo a key: the message names the entry by its position.
      if (colon > 0 && !ADMIN_KEY_ID.test(id))
        ctx.addIssue({
          code: 'custom',
          message: `entry ${index + 1}: the id before ':' must be 1-64 of A-Z a-z 0-9 . _ -`,
        });
      else if (key.length < MIN_ADMIN_KEY_LENGTH)
        ctx.addIssue({
          code: 'custom',
          message: `entry ${index + 1}: a key must have at least ${MIN_ADMIN_KEY_LENGTH} characters`,
        });
      else keys.push({ id, key });
    }
    return keys;
  }) as unknown as z.ZodType<AdminKey[], string | undefined>;

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
    /**
     * Keys that may change fraud rules (PUT/DELETE /v1/rules), as `id:key` items. Required for
     * those endpoints even when METRICS_API_KEYS is empty; unset: rule changes are refused.
     */
    METRICS_ADMIN_API_KEYS: adminKeys(),
    /** Kafka and Postgres work of one rule change (store, then publish) gives up after this. */
    METRICS_RULES_TIMEOUT_MS: env.int(15_000, 1000, 120_000),
  },
  (v) => ({
    apiKeys: v.METRICS_API_KEYS,
    defaultLimit: Math.min(v.METRICS_PAGE_DEFAULT_LIMIT, v.METRICS_PAGE_MAX_LIMIT),
    maxLimit: v.METRICS_PAGE_MAX_LIMIT,
    gaugeRefreshMs: v.METRICS_GAUGE_REFRESH_MS,
    lagGroups: v.METRICS_LAG_GROUPS,
    adminKeys: v.METRICS_ADMIN_API_KEYS as AdminKey[],
    rulesTimeoutMs: v.METRICS_RULES_TIMEOUT_MS,
  }),
);

export type MetricsConfig = ConfigType<typeof metricsConfig>;

/** Application ids of the stream processors; their consumer groups are `${KAFKA_TOPIC_PREFIX}${id}`. */
export const PROCESSOR_APP_IDS = [
  'clickstream-sessionizer',
  'clickstream-aggregator',
  'clickstream-fraud-detector',
] as const;

export function lagGroups(config: MetricsConfig, topicPrefix: string): string[] {
  if (config.lagGroups.length > 0) return config.lagGroups;
  return PROCESSOR_APP_IDS.map((id) => `${topicPrefix}${id}`);
}
