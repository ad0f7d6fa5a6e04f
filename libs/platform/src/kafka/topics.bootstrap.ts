import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { topicSpecs } from '@clickstream/contracts';
import { kafkaConfig, KafkaConfig } from '../config';
import { KafkaClient } from './kafka.client';

/** SPEC §10: topics are created at start-up when missing (a broker that is down is retried later). */
@Injectable()
export class TopicsBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger(TopicsBootstrap.name);

  constructor(
    private readonly kafka: KafkaClient,
    @Inject(kafkaConfig.KEY) private readonly config: KafkaConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    try {
      const created = await this.kafka.ensureTopics(
        topicSpecs({
          partitions: this.config.topicPartitions,
          replicationFactor: this.config.replicationFactor,
          prefix: this.config.topicPrefix,
        }),
      );
      if (created.length) this.logger.log({ msg: 'topics created', topics: created });
    } catch (err) {
      this.logger.warn({ msg: 'topics not ensured', err: (err as Error).message });
    }
  }
}
