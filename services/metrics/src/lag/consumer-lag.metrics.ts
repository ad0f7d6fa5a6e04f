import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { KafkaClient, MetricsService } from '@clickstream/platform';
import { gaugeRefresher, Refresher } from '../kpis/refresher';
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
export class ConsumerLagMetrics implements OnModuleInit {
  private readonly logger = new Logger(ConsumerLagMetrics.name);
  private readonly snapshot: Refresher<LagSnapshot>;
  private readonly groups: string[];

  constructor(
    private readonly metrics: MetricsService,
    private readonly reader: ConsumerLagReader,
    kafka: KafkaClient,
    @Inject(metricsConfig.KEY) config: MetricsConfig,
  ) {
    this.groups = lagGroups(config, kafka.config.topicPrefix);
    this.snapshot = gaugeRefresher({
      metrics,
      logger: this.logger,
      source: 'kafka',
      message: 'consumer lag not refreshed',
      load: () => this.load(),
      ttlMs: config.gaugeRefreshMs,
    });
  }

  onModuleInit(): void {
    const snap = () => this.snapshot.get();
    const byGroup = (pick: (l: PartitionLag) => bigint) =>
      async function (this: {
        reset(): void;
        set(labels: Record<string, string>, value: number): void;
      }) {
        const s = await snap();
        if (!s) return;
        // Reset first: a partition or group that went away must not linger with its last value.
        this.reset();
        for (const l of s.lags)
          this.set(
            { group: l.group, topic: l.topic, partition: String(l.partition) },
            Number(pick(l)),
          );
      };
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
      async collect() {
        const s = await snap();
        if (!s) return;
        this.reset();
        for (const e of s.ends)
          this.set({ topic: e.topic, partition: String(e.partition) }, Number(e.high));
      },
    });
  }

  private async load(): Promise<LagSnapshot> {
    const { committed, ends } = await this.reader.read(this.groups);
    return { lags: consumerLag(committed, ends), ends };
  }
}
