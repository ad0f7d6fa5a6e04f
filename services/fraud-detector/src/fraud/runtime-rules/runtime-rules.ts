import { Pool } from 'pg';
import { ALERT_RULES, topicSpecs } from '@clickstream/contracts';
import { KafkaClient, MetricsService, ProcessorLogger } from '@clickstream/platform';
import { restartDelayMs } from '@clickstream/streams';
import { FraudConfig } from '../rules/rule-config';
import { LiveFraudConfig } from './live-fraud-config';
import { writeRuleBaseline } from './rule-baseline';
import { RulesTable } from './rules-table';

export interface RuntimeRules {
  live: LiveFraudConfig;
  table: RulesTable;
  stop(): Promise<void>;
}

/**
 * The detector's live rules: the boot config recorded for the metrics API, and clickstream.rules.v1
 * read to its end before the first event is judged (start resolves then), then followed.
 * Metrics: <prefix>_rules_revision, <prefix>_rule_changes_total{rule},
 * <prefix>_rule_records_rejected_total and <prefix>_rules_table_errors_total{stage}.
 */
export async function startRuntimeRules(deps: {
  kafka: KafkaClient;
  pool: Pool;
  metrics: MetricsService;
  logger: ProcessorLogger;
  boot: FraudConfig;
  clientId: string;
}): Promise<RuntimeRules> {
  const { kafka, metrics, logger } = deps;
  const prefix = metrics.prefix;
  const revision = metrics.gauge({
    name: `${prefix}_rules_revision`,
    help: 'Highest clickstream.rules.v1 revision this detector applies (0: none).',
  });
  revision.set(0);
  const rejected = metrics.counter({
    name: `${prefix}_rule_records_rejected_total`,
    help: 'Records of clickstream.rules.v1 that are not a valid rule config (skipped).',
  });
  // Every series exists from boot (at 0), so dashboards and alerts see "no change, no error", not "no data".
  const zeroedCounter = (name: string, help: string, label: string, values: readonly string[]) => {
    const counter = metrics.counter({ name: `${prefix}_${name}`, help, labelNames: [label] });
    for (const value of values) counter.inc({ [label]: value }, 0);
    return counter;
  };
  const changes = zeroedCounter(
    'rule_changes_total',
    'Runtime rule changes applied from clickstream.rules.v1.',
    'rule',
    ALERT_RULES,
  );
  const errors = zeroedCounter(
    'rules_table_errors_total',
    'Failures reading clickstream.rules.v1.',
    'stage',
    ['bootstrap', 'consume', 'baseline'],
  );

  const live = new LiveFraudConfig(deps.boot);
  const rulesTopic = kafka.topics.rules;
  const table = new RulesTable({
    brokers: kafka.config.brokers,
    topic: rulesTopic,
    clientId: deps.clientId,
    live,
    logger,
    // On a fresh cluster the topic does not exist yet: the platform creates topics only after boot.
    prepare: async () => {
      const spec = topicSpecs({
        partitions: 1,
        replicationFactor: kafka.config.replicationFactor,
        prefix: kafka.config.topicPrefix,
      }).filter((t) => t.topic === rulesTopic);
      await kafka.ensureTopics(spec);
    },
    onApplied: (change, applied) => {
      changes.inc({ rule: change.rule });
      revision.set(applied);
    },
    onInvalid: () => rejected.inc(),
    onError: (stage) => errors.inc({ stage }),
  });
  const baseline = recordBaseline(deps, () => errors.inc({ stage: 'baseline' }));
  await table.start();
  return {
    live,
    table,
    async stop() {
      baseline.stop();
      await table.stop();
    },
  };
}

/** Writes the boot config to Postgres, retrying in the background (capped, jittered) until it lands. */
function recordBaseline(
  deps: { pool: Pool; boot: FraudConfig; logger: ProcessorLogger },
  onError: () => void,
): { stop(): void } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const attempt = (n: number) => {
    writeRuleBaseline(deps.pool, deps.boot).then(
      () => undefined,
      (err: Error) => {
        onError();
        const delayMs = restartDelayMs(n, { initialMs: 1000, maxMs: 60_000 });
        deps.logger.warn(
          { attempt: n, delayMs, err: err.message },
          'rule baseline not recorded, retrying',
        );
        if (!stopped) timer = setTimeout(() => attempt(n + 1), delayMs).unref();
      },
    );
  };
  attempt(1);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
