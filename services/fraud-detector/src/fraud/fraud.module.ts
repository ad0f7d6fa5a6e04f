import { Module } from '@nestjs/common';
import { processorRuntime, ProcessorServices, processorStreamsModule } from '@clickstream/platform';
import { FRAUD_DETECTOR_APP_ID, fraudTopology } from './fraud-detector.topology';
import { fraudMetricHooks } from './fraud-metrics';
import { outlierStage } from './outlier-stage';
import { RUNTIME_RULES, RuntimeRulesModule } from './runtime-rules/runtime-rules.module';
import { RuntimeRules } from './runtime-rules/runtime-rules';

/**
 * The fraud-detector topology, run by libs/streams with the service's Kafka client and Postgres pool,
 * and the outlier_activity global stage: the once-per-window evaluation across partitions
 * (evaluateOutlierWindow over fraud_user_activity), run by the owner of events partition 0 in one
 * epoch-fenced transaction (see outlier-stage.ts). The rules read the live config (boot config plus
 * clickstream.rules.v1, see runtime-rules/), which is read to its end before the topology starts.
 */
@Module({
  imports: [
    processorStreamsModule({
      imports: [RuntimeRulesModule],
      inject: [RUNTIME_RULES],
      build: (
        { kafka, pool, metrics, streams, logger }: ProcessorServices,
        rules: RuntimeRules,
      ) => {
        const hooks = fraudMetricHooks(metrics);
        return {
          topology: fraudTopology({
            topics: kafka.topics,
            // Boot config plus clickstream.rules.v1, read per input.
            cfg: rules.live.source,
            // Deployments sharing a cluster (KAFKA_TOPIC_PREFIX) get their own consumer group.
            applicationId: `${kafka.config.topicPrefix}${FRAUD_DETECTOR_APP_ID}`,
            dedupeHorizonMs: streams.dedupeHorizonMs,
            ...hooks,
          }),
          // Always there: outlier_activity can be switched on at runtime, and its final windows are cleared while off.
          stages: [outlierStage({ topics: kafka.topics, cfg: rules.live.source, ...hooks })],
          // Alerts are published on commit, so a task holding one commits within 100 ms (Kafka
          // Streams' interval under exactly-once); the rest, per-user rule state and activity
          // counts, every 250 ms. An alert's commit carries everything its task processed since
          // the last one: after 1 s at 5,000 events/s that took 65 ms, and the alert's p50 was
          // 124–168 ms against 76–107 ms with 250 ms; with 100 ms an alert usually came soon
          // after its task's last commit and waited out the output interval (BENCHMARKS.md,
          // 2026-12-06).
          ...processorRuntime(kafka, pool, streams, metrics, metrics.prefix, logger, {
            commitIntervalMs: 250,
            outputCommitIntervalMs: 100,
          }),
        };
      },
    }),
  ],
})
export class FraudModule {}
