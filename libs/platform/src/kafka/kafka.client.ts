import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Admin, ITopicConfig, Kafka, logLevel, LogEntry } from 'kafkajs';
import { topicNames, TopicNames } from '@clickstream/contracts';
import { withTimeout } from '@clickstream/streams';
import { kafkaConfig, KafkaConfig } from '../config';
import { SERVICE_INFO, ServiceInfo } from '../service-info';

const toPinoLevel: Record<number, 'error' | 'warn' | 'log' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'log',
  [logLevel.DEBUG]: 'debug',
};

/** The service's kafkajs client and one long-lived admin connection (topics, readiness). */
@Injectable()
export class KafkaClient implements OnApplicationShutdown {
  readonly kafka: Kafka;
  /** SPEC §10 topic names, with KAFKA_TOPIC_PREFIX applied. */
  readonly topics: TopicNames;
  private readonly logger = new Logger('kafkajs');
  private admin?: Promise<Admin>;

  constructor(
    @Inject(kafkaConfig.KEY) readonly config: KafkaConfig,
    @Inject(SERVICE_INFO) service: ServiceInfo,
  ) {
    this.topics = topicNames(config.topicPrefix);
    this.kafka = new Kafka({
      clientId: `${config.clientId}-${service.name}`,
      brokers: config.brokers,
      connectionTimeout: config.connectionTimeoutMs,
      logLevel: logLevel.WARN,
      logCreator: () => (entry: LogEntry) => this.logKafkajs(entry),
    });
  }

  private logKafkajs({ level, namespace, log }: LogEntry): void {
    const { message, ...context } = log;
    this.logger[toPinoLevel[level] ?? 'log']({ msg: message, namespace, ...context });
  }

  adminClient(): Promise<Admin> {
    this.admin ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      return admin;
    })().catch((err) => {
      this.admin = undefined;
      throw err;
    });
    return this.admin;
  }

  /** Creates the topics that are missing; existing topics are left as they are. */
  async ensureTopics(topics: ITopicConfig[]): Promise<string[]> {
    const admin = await this.adminClient();
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.topic));
    if (missing.length === 0) return [];
    await admin.createTopics({ topics: missing, waitForLeaders: true });
    return missing.map((t) => t.topic);
  }

  /** Readiness probe: the cluster answers a metadata request in time. */
  async ping(timeoutMs: number): Promise<number> {
    const admin = await withTimeout(this.adminClient(), timeoutMs, 'kafka connect');
    const cluster = await withTimeout(admin.describeCluster(), timeoutMs, 'kafka describeCluster');
    return cluster.brokers.length;
  }

  async onApplicationShutdown(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    if (admin) await (await admin.catch(() => undefined))?.disconnect();
  }
}
