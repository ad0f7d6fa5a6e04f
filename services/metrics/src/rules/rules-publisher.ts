import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { Pool } from 'pg';
import { ruleRecordOf } from '@clickstream/contracts';
import { KafkaClient, MetricsService } from '@clickstream/platform';
import { OutboxPublisher, restartDelayMs, withClient, withTimeout } from '@clickstream/streams';
import { PG_POOL } from '../database/pg-pool';
import { metricsConfig, MetricsConfig } from '../metrics.config';
import { FreshAttempts } from './fresh-attempts';
import { RulesRepository } from './rules.repository';

/** Serialises publishers across metrics instances, so they do not fence each other's producers in turn. */
const PUBLISH_LOCK = 7_215_014_002;
const PAGE = 500;

/**
 * Publishes fraud_rule_changes to clickstream.rules.v1 exactly once, in revision order.
 *
 * The history table is the outbox. Each publish is a Kafka transaction carrying the records and a
 * checkpoint (the next revision) in the consumer group `<app>.outbox`, as a processor task's outbox
 * is (libs/streams' OutboxPublisher): a new publisher fences the old one's producer, reads the
 * checkpoint and sends only the revisions at or above it. A crash between storing a change and
 * publishing it leaves the change for the next attempt (at boot, and retried with capped, jittered
 * backoff); it can never be published twice, and the detectors also ignore a revision they had.
 */
@Injectable()
export class RulesPublisher implements OnApplicationBootstrap, OnApplicationShutdown {
  private retryTimer?: NodeJS.Timeout;
  private attempt = 0;
  private stopped = false;
  private readonly attempts = new FreshAttempts(() => this.publishLocked());
  private readonly published;
  private readonly failures;
  private readonly appId: string;

  constructor(
    private readonly kafka: KafkaClient,
    private readonly rules: RulesRepository,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(metricsConfig.KEY) private readonly config: MetricsConfig,
    private readonly logger: PinoLogger,
    metrics: MetricsService,
  ) {
    this.logger.setContext(RulesPublisher.name);
    this.appId = `${kafka.config.topicPrefix}clickstream-metrics-rules`;
    this.published = metrics.counter({
      name: 'metrics_rule_records_published_total',
      help: 'Rule changes published to clickstream.rules.v1.',
    });
    this.failures = metrics.counter({
      name: 'metrics_rules_publish_failures_total',
      help: 'Failed attempts to publish rule changes (retried with backoff).',
    });
  }

  /** A change stored before a crash is published at boot. */
  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
  }

  /**
   * Publishes every change not yet on the topic; true when none is left. Waits at most
   * METRICS_RULES_TIMEOUT_MS: a slower attempt goes on in the background, and a failure schedules
   * a retry.
   */
  async publishNow(): Promise<boolean> {
    try {
      await withTimeout(this.publishPending(), this.config.rulesTimeoutMs, 'publish rule changes');
      this.attempt = 0;
      return true;
    } catch (err) {
      this.failures.inc();
      this.attempt++;
      const delayMs = restartDelayMs(this.attempt, { initialMs: 1000, maxMs: 60_000 });
      this.logger.warn(
        { attempt: this.attempt, delayMs, err: (err as Error).message },
        'rule changes not published, retrying',
      );
      this.schedule(delayMs);
      return false;
    }
  }

  private schedule(delayMs: number): void {
    if (this.stopped || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.publishNow();
    }, delayMs);
    this.retryTimer.unref();
  }

  /**
   * One attempt at a time per process, and each caller gets one that started after its call: an
   * attempt under way may have read the outbox before the caller's change was stored, and answering
   * "published" from it would be false. The advisory lock makes it one at a time across processes.
   */
  private publishPending(): Promise<number> {
    return this.attempts.run();
  }

  private async publishLocked(): Promise<number> {
    return withClient(this.pool, async (client) => {
      await client.query('BEGIN');
      try {
        await client.query(`SET LOCAL lock_timeout = ${Math.floor(this.config.rulesTimeoutMs)}`);
        // Only a hung process should lose the lock this way: Kafka's own timeouts end a slow attempt first.
        await client.query(
          `SET LOCAL idle_in_transaction_session_timeout = ${Math.max(120_000, Math.floor(this.config.rulesTimeoutMs) * 4)}`,
        );
        await client.query('SELECT pg_advisory_xact_lock($1)', [PUBLISH_LOCK]);
        const sent = await this.publishFromCheckpoint();
        await client.query('COMMIT');
        return sent;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  private async publishFromCheckpoint(): Promise<number> {
    const topic = this.kafka.topics.rules;
    const publisher = new OutboxPublisher(
      this.kafka.kafka,
      await this.kafka.adminClient(),
      { appId: this.appId, topic, partition: 0 },
      { logger: this.logger },
    );
    try {
      let next = await publisher.init();
      let sent = 0;
      for (;;) {
        const changes = await this.rules.changesFrom(next, PAGE);
        if (changes.length === 0) return sent;
        const messages = changes.map((c) => ({
          seq: c.revision,
          topic,
          key: c.rule,
          value: JSON.stringify(ruleRecordOf(c)),
        }));
        const count = await publisher.publish(messages);
        sent += count;
        this.published.inc(count);
        for (const c of changes)
          this.logger.info(
            { rule: c.rule, revision: c.revision, changedBy: c.key_id },
            'rule change published',
          );
        next = publisher.confirmedBelow;
        if (changes.length < PAGE) return sent;
      }
    } finally {
      await publisher.close();
    }
  }
}
