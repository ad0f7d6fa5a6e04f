import { randomBytes } from 'node:crypto';
import { ruleRecordSchema, topicNames } from '@clickstream/contracts';
import {
  createPlatformTopics,
  deleteTopics,
  readWholeTopic,
  testKafka,
  uniqueName,
} from '../../support/kafka';
import { createMigratedDatabase } from '../../support/postgres';
import { RunningService, startService, waitForHttpOk } from '../../support/services';
import { waitFor } from '../../support/wait-for';

/*
 * "Every change is stored in Postgres and published in one exactly-once step", with the faults that
 * break naive versions: Kafka unreachable when the change is made (stored, not published, the
 * instance then SIGKILLed), two metrics instances booting together (both try to publish the backlog),
 * and concurrent changes through both. The topic must end with every revision once, in order.
 */

const PARTITIONS = 2;
const ADMIN_KEY = randomBytes(24).toString('hex');
const ADMIN = { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' };

describe('rule changes: stored, then published exactly once', () => {
  it('publishes a change stored while Kafka was down at the next boot, once, though two instances boot; concurrent changes get contiguous revisions, each published once in order', async () => {
    const prefix = `${uniqueName('rulespub')}.`;
    const topics = topicNames(prefix);
    const db = await createMigratedDatabase('clickstream_rulespub');
    const env = {
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_TOPIC_PARTITIONS: String(PARTITIONS),
      DATABASE_URL: db.url,
      METRICS_ADMIN_API_KEYS: `ops:${ADMIN_KEY}`,
    };
    const running: RunningService[] = [];
    const start = async (extra: Record<string, string> = {}) => {
      const svc = await startService('metrics', { ...env, ...extra });
      running.push(svc);
      await waitForHttpOk(svc, '/health/live', 60_000);
      return svc;
    };
    const put = (svc: RunningService, rule: string, body: unknown) =>
      fetch(svc.url(`/v1/rules/${rule}`), {
        method: 'PUT',
        body: JSON.stringify(body),
        headers: ADMIN,
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, any> })); // eslint-disable-line @typescript-eslint/no-explicit-any
    try {
      await createPlatformTopics(testKafka(), prefix, PARTITIONS);

      // Kafka unreachable: the change is stored (200), not published, and retried until the process dies.
      const offline = await start({
        KAFKA_BROKERS: '127.0.0.1:1',
        KAFKA_CONNECTION_TIMEOUT_MS: '500',
        METRICS_RULES_TIMEOUT_MS: '3000',
      });
      const first = await put(offline, 'high_value', { threshold: 5000 });
      expect(first).toMatchObject({
        status: 200,
        body: { changed: true, published: false, rule: { revision: 1, changed_by: 'ops' } },
      });
      await offline.stop('SIGKILL');
      expect(await readRules(topics.rules)).toEqual([]);

      // Two instances boot together: each tries to publish the backlog; the topic gets it once.
      const [a, b] = await Promise.all([start(), start()]);
      await waitFor(async () => (await readRules(topics.rules)).length >= 1, {
        timeoutMs: 30_000,
        what: 'revision 1 published at boot',
      });

      // Concurrent changes through both instances.
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          put(i % 2 ? a : b, i % 3 ? 'click_flood' : 'ip_hopping', { threshold: 100 + i }),
        ),
      );
      expect(answers.map((r) => r.status)).toEqual(Array(10).fill(200));
      // Published, or left to the background retry when an attempt outlasts METRICS_RULES_TIMEOUT_MS.
      expect(answers.every((r) => typeof r.body.published === 'boolean')).toBe(true);
      expect(answers.map((r) => r.body.rule.revision).sort((x, y) => x - y)).toEqual([
        2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
      ]);

      // Every revision once, in order, each as stored (a restart publishes nothing again).
      await waitFor(async () => (await readRules(topics.rules)).length >= 11, {
        timeoutMs: 90_000,
        what: '11 revisions published',
      });
      await a.stop('SIGKILL');
      await waitForHttpOk(await start(), '/health/live');
      const history = (await (await fetch(b.url('/v1/rules/history?limit=100'))).json()) as {
        items: Array<{ revision: number; rule: string; after: { threshold: number } }>;
      };
      const want = history.items.map((h) => [h.revision, h.rule, h.after.threshold]).reverse();
      await waitFor(
        async () =>
          JSON.stringify(
            (await readRules(topics.rules)).map((r) => [r.revision, r.rule, r.config?.threshold]),
          ) === JSON.stringify(want),
        {
          timeoutMs: 10_000,
          what: () => `the topic to hold exactly the history ${JSON.stringify(want)}`,
        },
      );
      expect((await readRules(topics.rules)).map((r) => r.revision)).toEqual(
        Array.from({ length: 11 }, (_, i) => i + 1),
      );
    } finally {
      await Promise.all(running.map((s) => s.stop('SIGKILL')));
      await db.drop().catch(() => undefined);
      await deleteTopics(testKafka(), Object.values(topics)).catch(() => undefined);
    }
  });
});

async function readRules(topic: string) {
  return (await readWholeTopic(testKafka(), topic, 1)).map((r) =>
    ruleRecordSchema.parse(JSON.parse(r.value!)),
  );
}
