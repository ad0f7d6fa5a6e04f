import { RuleRecord } from '@clickstream/contracts';
import { LiveFraudConfig } from '../../../services/fraud-detector/src/fraud/runtime-rules/live-fraud-config';
import { RulesTable } from '../../../services/fraud-detector/src/fraud/runtime-rules/rules-table';
import { DEFAULT_FRAUD_CONFIG } from '../../../services/fraud-detector/src/fraud/rules/rule-config';
import { createTopic, deleteTopics, testBrokers, testKafka, uniqueName } from '../../support/kafka';
import { waitFor } from '../../support/wait-for';

/*
 * The fraud-detector's global table of clickstream.rules.v1 on the real broker: start() resolves
 * only once every committed record is applied (the detector judges no event before), records that
 * are not rules are skipped and counted, an aborted transaction is never seen, and later records
 * keep applying.
 */

const RECORDS = 400;

const record = (revision: number): RuleRecord => ({
  rule: 'click_flood',
  revision,
  config: { enabled: true, threshold: revision, window_ms: 60_000, severity: 'medium' },
  changed_at: new Date().toISOString(),
  changed_by: 'test',
});

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('RulesTable (clickstream.rules.v1 as a global table)', () => {
  it('is read to its end before start() resolves, skips what is not a rule, and follows later records', async () => {
    const topic = uniqueName('rules-table');
    const kafka = testKafka();
    await createTopic(kafka, topic, 1);
    const producer = kafka.producer({
      transactionalId: `${topic}.writer`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    const table: { current?: RulesTable } = {};
    try {
      const txn = await producer.transaction();
      await txn.send({
        topic,
        messages: [
          ...Array.from({ length: RECORDS }, (_, i) => ({
            key: 'click_flood',
            value: JSON.stringify(record(i + 1)),
          })),
          { key: 'click_flood', value: '{not json' },
          { key: 'click_storm', value: JSON.stringify(record(RECORDS + 1)) },
          {
            key: 'click_flood',
            value: JSON.stringify({
              ...record(RECORDS + 2),
              config: { ...record(1).config, threshold: -1 },
            }),
          },
        ],
      });
      await txn.commit();
      // Never committed: a read_committed reader must not apply it.
      const aborted = await producer.transaction();
      await aborted.send({
        topic,
        messages: [{ key: 'click_flood', value: JSON.stringify(record(9_999)) }],
      });
      await aborted.abort();

      const live = new LiveFraudConfig(DEFAULT_FRAUD_CONFIG);
      const rejected: string[] = [];
      table.current = new RulesTable({
        brokers: testBrokers().split(','),
        topic,
        clientId: `${topic}.reader`,
        live,
        logger: {
          ...silent,
          error: (ctx, msg) => void rejected.push(`${msg}: ${String(ctx.reason)}`),
        },
      });
      await table.current.start();
      expect({
        revision: live.revision,
        threshold: live.source().rules.click_flood.threshold,
      }).toEqual({ revision: RECORDS, threshold: RECORDS });
      expect(rejected).toEqual([
        'rules record rejected: value: not JSON',
        expect.stringMatching(/^rules record rejected: key: must be one of click_flood, /),
        'rules record rejected: config.threshold: must be >= 0',
      ]);

      const next = await producer.transaction();
      await next.send({
        topic,
        messages: [{ key: 'click_flood', value: JSON.stringify(record(RECORDS + 3)) }],
      });
      await next.commit();
      await waitFor(() => live.revision === RECORDS + 3, {
        timeoutMs: 15_000,
        what: 'the later record applied',
      });
      expect(live.source().rules.click_flood.threshold).toBe(RECORDS + 3);
    } finally {
      await table.current?.stop();
      await producer.disconnect();
      await deleteTopics(kafka, [topic]).catch(() => undefined);
    }
  });
});
