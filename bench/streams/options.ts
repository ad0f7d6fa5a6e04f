import { defineCommand, flag, integer, number, Values } from '../../tools/shared/args';

export const STREAMS_COMMAND = defineCommand({
  invocation: 'npm run bench:streams --',
  description: `Throughput of libs/streams against the real local broker and Postgres: a windowed count (exactly
once, Postgres commit) next to a raw kafkajs consume + JSON.parse of the same topic.`,
  options: {
    events: integer({ min: 1, default: 300_000, description: 'events to produce' }),
    maxBytes: integer({
      min: 1,
      placeholder: 'B',
      default: 2 * 1024 * 1024,
      description: "the consumers' maxBytesPerPartition (raw and streams)",
    }),
    chunk: integer({
      min: 1,
      placeholder: 'C',
      default: 5000,
      description: "the streams app's chunkSize",
    }),
    users: integer({ min: 1, placeholder: 'U', default: 2000, description: 'distinct keys' }),
    partitions: integer({
      min: 1,
      placeholder: 'P',
      default: 6,
      description: 'partitions of the input and output topics',
    }),
    stepMs: number({
      greaterThan: 0,
      placeholder: 'S',
      default: 5,
      description: 'event time between two events, ms',
    }),
    produceChunk: integer({
      min: 1,
      placeholder: 'K',
      default: 20_000,
      description: 'events per sendBatch',
    }),
    timeout: number({
      greaterThan: 0,
      placeholder: 'S',
      default: 600,
      description: 'seconds the raw and the streams phase may take',
    }),
    keep: flag({ description: 'keep the topics and the database' }),
    noVerify: flag({ description: 'skip reading the output back and checking it' }),
  },
  epilog: `BENCH_MARKS=1 prints monotonic µs marks around the streams phase (to cut a --cpu-prof profile).
KAFKA_BROKERS (default 127.0.0.1:19092) and BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432)
pick the broker and the Postgres server.`,
});

export type StreamsBenchArgs = Values<typeof STREAMS_COMMAND.options>;
