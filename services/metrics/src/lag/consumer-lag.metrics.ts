import { Inject, Injectable } from '@nestjs/common';
import { KafkaClient, MetricsService } from '@clickstream/platform';
import { Sample, samplesFrom, SnapshotGauges } from '../kpis/refresher';
import { lagGroups, metricsConfig, MetricsConfig } from '../metrics.config';
import { consumerLag, PartitionEnds, PartitionLag } from './consumer-lag';
import { ConsumerLagReader } from './consumer-lag.reader';

interface LagSnapshot {
  lags: PartitionLag[];
  ends: PartitionEnds[];
}

/**
 * Consumer lag with kafka-exporter's metric names, labelled group/topic/partition as SPEC §8 asks
 * (kafka-exporter says `consumergroup`). Read on scrape, at most once per METRICS_GAUGE_REFRESH_MS.
 */
@Injectable()
export class ConsumerLagMetrics extends SnapshotGauges<LagSnapshot> {
  private readonly groups: string[];

  constructor(
    metrics: MetricsService,
    private readonly reader: ConsumerLagReader,
    kafka: KafkaClient,
    @Inject(metricsConfig.KEY) config: MetricsConfig,
  ) {
    super(metrics, config, 'kafka', 'consumer lag not refreshed');
    this.groups = lagGroups(config, kafka.config.topicPrefix);
  }

  onModuleInit(): void {
    const byGroup = (pick: (l: PartitionLag) => bigint) =>
      samplesFrom(this.snapshot, (s) =>
        s.lags.map((l): Sample => [
          { group: l.group, topic: l.topic, partition: String(l.partition) },
          Number(pick(l)),
        ]),
      );
    this.metrics.gauge({
      name: 'kafka_consumergroup_lag',
      help: 'Records a consumer group has still to read: end offset − committed offset (processors: their Postgres offsets).',
      labelNames: ['group', 'topic', 'partition'],
      collect: byGroup((l) => l.lag),
    });
    this.metrics.gauge({
      name: 'kafka_consumergroup_current_offset',
      help: 'Committed offset of a consumer group (processors: stream_offsets in Postgres).',
      labelNames: ['group', 'topic', 'partition'],
      collect: byGroup((l) => l.current),
    });
    this.metrics.gauge({
      name: 'kafka_topic_partition_current_offset',
      help: 'End offset (high watermark) of a partition of a consumed topic.',
      labelNames: ['topic', 'partition'],
      collect: samplesFrom(this.snapshot, (s) =>
        s.ends.map((e): Sample => [
          { topic: e.topic, partition: String(e.partition) },
          Number(e.high),
        ]),
      ),
    });
  }

  protected async load(): Promise<LagSnapshot> {
    const { committed, ends } = await this.reader.read(this.groups);
    return { lags: consumerLag(committed, ends), ends };
  }
}
