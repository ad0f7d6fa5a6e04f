import { Module } from '@nestjs/common';
import { StreamsAppOptions } from '@clickstream/streams';
import { processorRuntime, ProcessorServices, processorStreamsModule } from '@clickstream/platform';
import { aggregatorConfig, AggregatorConfig } from '../aggregator.config';
import { AGGREGATOR_APP_ID, aggregatorTopology } from './aggregator.topology';
import { windowFinaliser } from './window-finaliser';

/** The aggregator's StreamsModule options: its metrics, topology, finaliser stage and runtime. */
function aggregatorStreams(
  { kafka, pool, metrics, streams, logger }: ProcessorServices,
  cfg: AggregatorConfig,
): StreamsAppOptions {
  // Once per event and window size: summed locally, moved into the counter when it is scraped.
  const folded = metrics.hotCounter(
    { name: 'aggregator_events_total', help: 'Events folded into windows, per window size.' },
    'window_size',
  );
  const finals = metrics.counter({
    name: 'aggregator_windows_final_total',
    help: 'Final windows published, per window size.',
    labelNames: ['window_size'],
  });
  metrics.gauge({
    name: 'aggregator_window_lag_seconds',
    help: 'Wall-clock now minus the end of the last final window, per window size.',
    labelNames: ['window_size'],
    async collect() {
      const { rows } = await pool.query<{ window_size: string; lag: number }>(
        `SELECT window_size, extract(epoch FROM now() - final_until)::float8 AS lag FROM aggregate_progress`,
      );
      for (const r of rows) this.set({ window_size: r.window_size }, r.lag);
    },
  });
  const appId = `${kafka.config.topicPrefix}${AGGREGATOR_APP_ID}`;
  return {
    topology: aggregatorTopology({
      topics: kafka.topics,
      windowSizesMs: cfg.windowSizesMs,
      applicationId: appId,
      dedupeHorizonMs: streams.dedupeHorizonMs,
      onEvent: folded,
    }),
    stages: [
      {
        ...windowFinaliser({
          topics: kafka.topics,
          windowSizesMs: cfg.windowSizesMs,
          emptyMinutesMax: cfg.emptyMinutesMax,
          onFinal: (size, n) => finals.inc({ window_size: size }, n),
        }),
        intervalMs: cfg.finaliseIntervalMs,
      },
    ],
    // Every commit rewrites each open window's partial (and its HyperLogLog state): once a second
    // is enough for partials, and final windows wait for the watermark anyway.
    ...processorRuntime(kafka, pool, streams, metrics, 'aggregator', logger, {
      commitIntervalMs: 1000,
    }),
  };
}

/** The aggregator topology and its finaliser, run by libs/streams with the service's Kafka and Postgres. */
@Module({
  imports: [processorStreamsModule({ inject: [aggregatorConfig.KEY], build: aggregatorStreams })],
})
export class AggregatesModule {}
