import { Module } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { KafkaClient, MetricsService, streamsConfig, StreamsConfig } from '@clickstream/platform';
import { StreamsModule } from '@clickstream/streams';
import { FraudConfig, fraudConfig } from '../fraud.config';
import { FRAUD_DETECTOR_APP_ID, fraudTopology } from './fraud-detector.topology';
import { fraudMetricHooks } from './fraud-metrics';

/**
 * The fraud-detector topology, run by libs/streams with the service's Kafka client and Postgres pool.
 * The once-per-window outlier_activity evaluation across partitions (evaluateOutlierWindow over
 * fraud_user_activity) is a global stage still to be added to `stages`.
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
      ],
      useFactory: (
        kafka: KafkaClient,
        dataSource: DataSource,
        metrics: MetricsService,
        streams: StreamsConfig,
        cfg: FraudConfig,
      ) => ({
        topology: fraudTopology({
          topics: kafka.topics,
          cfg,
          // Deployments sharing a cluster (KAFKA_TOPIC_PREFIX) get their own consumer group.
          applicationId: `${kafka.config.topicPrefix}${FRAUD_DETECTOR_APP_ID}`,
          ...fraudMetricHooks(metrics),
        }),
        kafka: kafka.kafka,
        pool: (dataSource.driver as unknown as { master: Pool }).master,
        lateTopic: kafka.topics.late,
        deadLetterTopic: kafka.topics.eventsDlq,
        allowedLatenessMs: streams.allowedLatenessMs,
        idleTimeoutMs: streams.idleTimeoutMs,
        maxRetries: streams.maxRetries,
        sessionTimeoutMs: streams.sessionTimeoutMs,
        maxBytesPerPartition: streams.maxBytesPerPartition,
        registry: metrics.registry,
        metricPrefix: metrics.prefix,
      }),
    }),
  ],
})
export class FraudModule {}
