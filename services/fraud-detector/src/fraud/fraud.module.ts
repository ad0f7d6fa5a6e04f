import { PinoLogger } from 'nestjs-pino';
import { Module } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import {
  KafkaClient,
  MetricsService,
  pgPoolOf,
  processorRuntime,
  streamsConfig,
  StreamsConfig,
} from '@clickstream/platform';
import { StreamsModule } from '@clickstream/streams';
import { FraudConfig, fraudConfig } from '../fraud.config';
import { FRAUD_DETECTOR_APP_ID, fraudTopology } from './fraud-detector.topology';
import { fraudMetricHooks } from './fraud-metrics';
import { outlierStage } from './outlier-stage';

/**
 * The fraud-detector topology, run by libs/streams with the service's Kafka client and Postgres pool,
 * and the outlier_activity global stage: the once-per-window evaluation across partitions
 * (evaluateOutlierWindow over fraud_user_activity), run by the owner of events partition 0 in one
 * epoch-fenced transaction (see outlier-stage.ts). No stage when the rule is disabled.
 */
@Module({
  imports: [
    StreamsModule.forRootAsync({
      inject: [
        KafkaClient,
        getDataSourceToken(),
        MetricsService,
        streamsConfig.KEY,
        fraudConfig.KEY,
        PinoLogger,
      ],
      useFactory: (
        kafka: KafkaClient,
        dataSource: DataSource,
        metrics: MetricsService,
        streams: StreamsConfig,
        cfg: FraudConfig,
        logger: PinoLogger,
      ) => {
        const hooks = fraudMetricHooks(metrics);
        return {
          topology: fraudTopology({
            topics: kafka.topics,
            cfg,
            // Deployments sharing a cluster (KAFKA_TOPIC_PREFIX) get their own consumer group.
            applicationId: `${kafka.config.topicPrefix}${FRAUD_DETECTOR_APP_ID}`,
            dedupeHorizonMs: streams.dedupeHorizonMs,
            ...hooks,
          }),
          stages: cfg.rules.outlier_activity.enabled
            ? [outlierStage({ topics: kafka.topics, cfg, ...hooks })]
            : [],
          ...processorRuntime(kafka, pgPoolOf(dataSource), streams, metrics, metrics.prefix, logger),
        };
      },
    }),
  ],
})
export class FraudModule {}
