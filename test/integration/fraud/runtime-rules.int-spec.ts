import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Pool } from 'pg';
import { fraudAlertSchema, ruleRecordSchema, topicNames } from '@clickstream/contracts';
import { logEndOffsets } from '../../../tools/shared/log-end-offsets';
import {
  createPlatformTopics,
  deleteTopics,
  readWholeTopic,
  testBrokers,
  testKafka,
  uniqueName,
} from '../../support/kafka';
import { createMigratedDatabase } from '../../support/postgres';
import { outboxDrained } from '../../support/results';
import { ROOT, RunningService, startService, waitForHttpOk } from '../../support/services';
import { waitFor } from '../../support/wait-for';
import { scrapedSum } from '../../support/scraped-metrics';

/*
 * Issue 14, rules at runtime, end to end: ingest → 2 fraud-detectors, the metrics API in front of
 * the rules. click_flood goes from 50 to 80 mid-stream: a flood of 60 clicks alerts before the
 * change and not after, one of 90 alerts throughout; a detector restarted after the change reads
 * 80 from clickstream.rules.v1; DELETE takes the rule back to its boot config (50). Bad values and
 * missing keys change nothing.
 */

const PARTITIONS = 6;
const START = Date.UTC(2024, 0, 1, 10);
const MINUTE = 60_000;
const ADMIN_KEY = randomBytes(24).toString('hex');
const ADMIN = { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' };

/** `count` events of one user, 400 ms apart, inside the 1 min window starting at `minute`. */
const flood = (user: string, count: number, minute: number) =>
  Array.from({ length: count }, (_, i) => ({
    event_time: new Date(minute + i * 400).toISOString(),
    event_type: 'page_view',
    user_id: user,
  }));

/** Both floods of a phase, and quiet users who keep every partition's watermark moving. */
const phase = (name: string, minute: number) => [
  ...flood(`${name}-60`, 60, minute),
  ...flood(`${name}-90`, 90, minute),
  ...Array.from({ length: 24 }, (_, i) => ({
    event_time: new Date(minute + 30_000).toISOString(),
    event_type: 'page_view',
    user_id: `${name}-quiet-${i}`,
  })),
];

describe('fraud rules at runtime: PUT /v1/rules/click_flood mid-stream, two detectors, a restart', () => {
  it('applies 80 from the next event in every detector and after a restart; history names the key id; bad values change nothing', async () => {
    const prefix = `${uniqueName('rules')}.`;
    const topics = topicNames(prefix);
    const appId = `${prefix}clickstream-fraud-detector`;
    const db = await createMigratedDatabase('clickstream_rules');
    const env = {
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_TOPIC_PARTITIONS: String(PARTITIONS),
      STREAMS_SESSION_TIMEOUT_MS: '6000',
      DATABASE_URL: db.url,
      METRICS_ADMIN_API_KEYS: `alice:${ADMIN_KEY}`,
    };
    const running: RunningService[] = [];
    const start = async (name: string) => {
      const svc = await startService(name, env);
      running.push(svc);
      await waitForHttpOk(svc, '/health/ready', 60_000);
      return svc;
    };
    try {
      await createPlatformTopics(testKafka(), prefix, PARTITIONS);
      const [ingest, metrics] = [await start('ingest'), await start('metrics')];
      let detectors = [await start('fraud-detector'), await start('fraud-detector')];
      const send = async (events: unknown[]) => {
        const res = await fetch(ingest.url('/v1/events'), {
          method: 'POST',
          body: JSON.stringify(events),
          headers: { 'content-type': 'application/json' },
        });
        expect(res.status).toBe(202);
        await caughtUp(db.pool, appId, topics.events);
      };

      // Before: the boot config (default 50).
      const before = await getJson(metrics.url('/v1/rules'));
      expect(ruleOf(before, 'click_flood')).toMatchObject({
        config: { threshold: 50 },
        source: 'default',
        revision: null,
      });
      await send(phase('a', START));

      // Bad values and missing keys: 400 / 401 naming the problem; nothing stored or published.
      await expectRefused(
        metrics,
        'click_flood',
        { threshold: -5 },
        400,
        'threshold: must be >= 0 (got -5)',
      );
      await expectRefused(
        metrics,
        'click_flood',
        { threshold: 'eighty' },
        400,
        'threshold: must be a number (got "eighty")',
      );
      await expectRefused(
        metrics,
        'click_flood',
        { thresold: 80 },
        400,
        'thresold: unknown setting',
      );
      await expectRefused(
        metrics,
        'outlier_activity',
        { window_ms: 120_000 },
        400,
        'window_ms: is fixed at boot',
      );
      const noKey = await fetch(metrics.url('/v1/rules/click_flood'), {
        method: 'PUT',
        body: '{"threshold":80}',
        headers: { 'content-type': 'application/json' },
      });
      expect(noKey.status).toBe(401);
      const unknown = await fetch(metrics.url('/v1/rules/click_storm'), {
        method: 'PUT',
        body: '{"threshold":80}',
        headers: ADMIN,
      });
      expect(unknown.status).toBe(404);
      expect(ruleOf(await getJson(metrics.url('/v1/rules')), 'click_flood')).toEqual(
        ruleOf(before, 'click_flood'),
      );
      expect((await getJson(metrics.url('/v1/rules/history'))).items).toEqual([]);

      // The change: stored, published, applied by both detectors.
      const put = await fetch(metrics.url('/v1/rules/click_flood'), {
        method: 'PUT',
        body: '{"threshold":80}',
        headers: ADMIN,
      });
      expect(put.status).toBe(200);
      expect(await put.json()).toMatchObject({
        changed: true,
        published: true,
        rule: {
          rule: 'click_flood',
          config: { threshold: 80, window_ms: MINUTE },
          source: 'runtime',
          revision: 1,
          changed_by: 'alice',
        },
      });
      await Promise.all(detectors.map((d) => waitForRevision(d, 1)));
      await send(phase('b', START + 10 * MINUTE));

      // A restart: both detectors go; phase c waits on the topic, so the new detector judges it from its
      // first poll, with what it read from the rules topic before (it takes every partition).
      await Promise.all(detectors.map((d) => d.stop('SIGKILL')));
      const res = await fetch(ingest.url('/v1/events'), {
        method: 'POST',
        body: JSON.stringify(phase('c', START + 20 * MINUTE)),
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status).toBe(202);
      detectors = [await start('fraud-detector')];
      expect(await revisionOf(detectors[0])).toBe(1);
      await caughtUp(db.pool, appId, topics.events);

      // Back to the boot config, through the CLI (DELETE /v1/rules/click_flood).
      const reset = await cli(metrics, ['rules', 'reset', 'click_flood', '--json']);
      expect(JSON.parse(reset)).toMatchObject({
        changed: true,
        published: true,
        rule: { config: { threshold: 50 }, source: 'default', revision: 2 },
      });
      await waitForRevision(detectors[0], 2);
      await send(phase('d', START + 30 * MINUTE));

      // Alerts: 60 only before the change and after the reset, 90 throughout; the threshold in force.
      const want = [
        ['a-60', 50],
        ['a-90', 50],
        ['b-90', 80],
        ['c-90', 80],
        ['d-60', 50],
        ['d-90', 50],
      ];
      const { rows } = await db.pool.query<{ user_id: string; threshold: number; value: number }>(
        `SELECT user_id, threshold, value FROM alerts WHERE rule = 'click_flood' ORDER BY user_id`,
      );
      expect(rows.map((r) => [r.user_id, r.threshold])).toEqual(want);
      // The alerts reach the topic through the outbox, after the commit that caughtUp waits on.
      await waitFor(() => outboxDrained(db.pool, appId), {
        timeoutMs: 30_000,
        what: 'outbox drained',
      });
      const published = (await readWholeTopic(testKafka(), topics.alerts, PARTITIONS)).map((r) =>
        fraudAlertSchema.parse(JSON.parse(r.value!)),
      );
      expect(
        published
          .filter((a) => a.rule === 'click_flood')
          .map((a) => a.user_id)
          .sort(),
      ).toEqual(want.map(([user]) => user));

      // History: who (key id, never the key), when, before and after; the topic holds each change once.
      const history = await getJson(metrics.url('/v1/rules/history'));
      expect(history.items).toMatchObject([
        {
          revision: 2,
          rule: 'click_flood',
          action: 'reset',
          changed_by: 'alice',
          before: { threshold: 80 },
          after: { threshold: 50 },
        },
        {
          revision: 1,
          rule: 'click_flood',
          action: 'set',
          changed_by: 'alice',
          before: { threshold: 50 },
          after: { threshold: 80 },
        },
      ]);
      expect(JSON.stringify(history)).not.toContain(ADMIN_KEY);
      expect(JSON.parse(await cli(metrics, ['rules', 'history', '--json']))).toEqual(history);
      const table = await cli(metrics, ['rules']);
      expect(table.split('\n').find((l) => l.startsWith('click_flood'))).toMatch(
        /^click_flood\s+true\s+50\s+60000\s+medium\s+default\s+2\s+alice\s/,
      );
      const records = (await readWholeTopic(testKafka(), topics.rules, 1)).map((r) => ({
        key: r.key,
        record: ruleRecordSchema.parse(JSON.parse(r.value!)),
      }));
      expect(
        records.map((r) => [r.key, r.record.revision, r.record.config?.threshold ?? null]),
      ).toEqual([
        ['click_flood', 1, 80],
        ['click_flood', 2, null],
      ]);
    } finally {
      await Promise.all(running.map((s) => s.stop('SIGKILL')));
      await db.drop().catch(() => undefined);
      await deleteTopics(testKafka(), Object.values(topics)).catch(() => undefined);
    }
  });
});

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** `npm run cli -- ...` against the metrics service, with the admin key in the environment. */
async function cli(metrics: RunningService, args: string[]): Promise<string> {
  const run = promisify(execFile);
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'tools/cli/cli.ts'), ...args, '--url', metrics.url('')],
    {
      env: { ...process.env, METRICS_ADMIN_API_KEY: ADMIN_KEY },
      timeout: 60_000,
    },
  );
  return stdout;
}

async function getJson(url: string): Promise<Json> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return (await res.json()) as Json;
}

const ruleOf = (body: Json, rule: string) => (body.items as Json[]).find((r) => r.rule === rule);

async function expectRefused(
  metrics: RunningService,
  rule: string,
  body: unknown,
  status: number,
  message: string,
): Promise<void> {
  const res = await fetch(metrics.url(`/v1/rules/${rule}`), {
    method: 'PUT',
    body: JSON.stringify(body),
    headers: ADMIN,
  });
  const answer = (await res.json()) as Json;
  expect({ status: res.status, message: answer.message }).toEqual({
    status,
    message: expect.stringContaining(message),
  });
}

/** The detector's fraud_detector_rules_revision gauge. */
async function revisionOf(detector: RunningService): Promise<number> {
  return (await scrapedSum(detector.url('/metrics'), 'fraud_detector_rules_revision')) ?? -1;
}

const waitForRevision = (detector: RunningService, revision: number) =>
  waitFor(async () => (await revisionOf(detector)) === revision, {
    timeoutMs: 30_000,
    what: `detector on rules revision ${revision}`,
  });

/** The detectors' committed offsets reached every events partition's end (the high watermark). */
async function caughtUp(pool: Pool, group: string, topic: string): Promise<void> {
  await waitFor(
    async () => {
      const ends = await logEndOffsets(testBrokers(), topic);
      const { rows } = await pool.query<{ partition: number; next_offset: string }>(
        `SELECT partition, next_offset FROM stream_offsets WHERE group_id = $1 AND topic = $2`,
        [group, topic],
      );
      const committed = new Map(rows.map((r) => [r.partition, BigInt(r.next_offset)]));
      return [...ends].every(([partition, end]) => end === 0n || committed.get(partition) === end);
    },
    { timeoutMs: 90_000, intervalMs: 100, what: `${group} caught up on ${topic}` },
  );
}
