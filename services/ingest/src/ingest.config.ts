import { ConfigType } from '@nestjs/config';
import { DEFAULT_MAX_EVENT_BYTES, DEFAULT_MAX_FUTURE_MS } from '@clickstream/contracts';
import { defineConfig, env } from '@clickstream/platform';

/** Ingest's own settings (SPEC §2–§3); the body and batch limits protect the service. */
export const ingestConfig = defineConfig(
  'ingest',
  {
    INGEST_API_KEYS: env.optionalList(),
    INGEST_MAX_BODY_BYTES: env.int(5 * 1024 * 1024, 1024, 256 * 1024 * 1024),
    INGEST_MAX_BATCH_EVENTS: env.int(10_000, 1, 1_000_000),
    // The largest event as stored (SPEC §2: 64 KiB); a larger one is an invalid event (400 + DLQ).
    // At most the Kafka producer's message.max.bytes (1,000,000), with room for the key and framing.
    INGEST_MAX_EVENT_BYTES: env.int(DEFAULT_MAX_EVENT_BYTES, 1024, 990_000),
    // How far event_time may be ahead of received_at (SPEC §2: 5 min).
    INGEST_MAX_FUTURE_MS: env.int(DEFAULT_MAX_FUTURE_MS, 0),
    INGEST_LINGER_MS: env.int(5, 0, 1000),
    INGEST_MAX_FLUSH_EVENTS: env.int(20_000, 1, 1_000_000),
    INGEST_MAX_BACKLOG_EVENTS: env.int(200_000, 1, 100_000_000),
    INGEST_RETRY_AFTER_S: env.int(1, 1, 3600),
    // How long a commit whose answer was lost is retried before the request gets 504 (outcome
    // unknown); below common client timeouts (the load generator's and replay's are 60 s).
    INGEST_COMMIT_DEADLINE_MS: env.int(30_000, 5_000, 300_000),
  },
  (v) => ({
    apiKeys: v.INGEST_API_KEYS,
    maxBodyBytes: v.INGEST_MAX_BODY_BYTES,
    maxBatchEvents: v.INGEST_MAX_BATCH_EVENTS,
    maxEventBytes: v.INGEST_MAX_EVENT_BYTES,
    maxFutureMs: v.INGEST_MAX_FUTURE_MS,
    lingerMs: v.INGEST_LINGER_MS,
    maxFlushEvents: v.INGEST_MAX_FLUSH_EVENTS,
    maxBacklogEvents: v.INGEST_MAX_BACKLOG_EVENTS,
    retryAfterSeconds: v.INGEST_RETRY_AFTER_S,
    commitDeadlineMs: v.INGEST_COMMIT_DEADLINE_MS,
  }),
);

export type IngestConfig = ConfigType<typeof ingestConfig>;
