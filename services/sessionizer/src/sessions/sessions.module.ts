import { Module } from '@nestjs/common';
import { StreamsAppOptions } from '@clickstream/streams';
import { processorRuntime, ProcessorServices, processorStreamsModule } from '@clickstream/platform';
import { sessionizerConfig, SessionizerConfig } from '../sessionizer.config';
import { SESSIONIZER_APP_ID, sessionizerTopology } from './sessionizer.topology';

/** The sessionizer's StreamsModule options: its metrics, topology and runtime. */
function sessionizerStreams(
  { kafka, pool, metrics, streams, logger }: ProcessorServices,
  cfg: SessionizerConfig,
): StreamsAppOptions {
  const closedTotal = metrics.counter({
    name: 'sessionizer_sessions_closed_total',
    help: 'Sessions closed and published.',
  });
  metrics.gauge({
    name: 'sessionizer_active_sessions',
    help: 'Open sessions (status open in Postgres).',
    async collect() {
      const { rows } = await pool.query<{ n: string }>(
        `SELECT count(*) AS n FROM sessions WHERE status = 'open'`,
      );
      this.set(Number(rows[0].n));
    },
  });
  return {
    topology: sessionizerTopology({
      topics: kafka.topics,
      gapMs: cfg.gapMs,
      maxDurationMs: cfg.maxDurationMs,
      stateFormat: cfg.stateFormat,
      // Deployments sharing a cluster (KAFKA_TOPIC_PREFIX) get their own consumer group.
      applicationId: `${kafka.config.topicPrefix}${SESSIONIZER_APP_ID}`,
      dedupeHorizonMs: streams.dedupeHorizonMs,
      onClosed: () => closedTotal.inc(),
    }),
    // Live traffic touches a different user per event, so the cost is per key per commit: commit
    // once a second (sessions stay visible within seconds, SPEC §5). BENCHMARKS.md measures it.
    ...processorRuntime(kafka, pool, streams, metrics, 'sessionizer', logger, {
      commitIntervalMs: 1000,
    }),
  };
}

/** The sessionizer topology, run by libs/streams with the service's Kafka client and Postgres pool. */
@Module({
  imports: [processorStreamsModule({ inject: [sessionizerConfig.KEY], build: sessionizerStreams })],
})
export class SessionsModule {}
