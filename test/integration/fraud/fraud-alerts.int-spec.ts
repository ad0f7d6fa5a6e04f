import { Pool } from 'pg';
import {
  ALERT_RULES,
  ALERT_SEVERITIES,
  FraudAlert,
  fraudAlertSchema,
  topicNames,
  validateEvent,
} from '@clickstream/contracts';
import { DEFAULT_FRAUD_CONFIG } from '../../../services/fraud-detector/src/fraud/rules/rule-config';
import {
  ExpectedAlert,
  FRAUD_PATTERNS,
  generateTraffic,
  TrafficManifest,
} from '../../../tools/generate/traffic-generator';
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
import { committedJson } from '../../support/task-state';
import { RunningService, startService, waitForHttpOk } from '../../support/services';
import { waitFor } from '../../support/wait-for';
import { LineReader, startFollowCli, startReadmeConsumer } from './alert-readers';

/*
 * ingest → 1 aggregator + 2 fraud-detectors on 6 partitions, over generated traffic with every SPEC §7
 * pattern injected and the near misses (exactly at the thresholds, or straddling two windows), shuffled
 * within 60 s. The generator's manifest lists the exact alerts §7 gives on this stream, including the
 * `trailing` ones (traffic_drop for the empty minutes after the stream, the outlier hour that ends
 * after it), which are final once "clock" events days later pass every watermark.
 */

const PARTITIONS = 6;
const START = Date.UTC(2024, 0, 1, 10);
const CLOCK_TIME = START + 3 * 86_400_000;
const CLOCK_USERS = 120;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

interface Input {
  bodies: unknown[][];
  events: number;
  manifest: TrafficManifest;
}

function buildInput(): Input {
  // ~39 min of event time at 12 events/s: room for the spike and drop minutes' 12 min history, and
  // enough events that the kills land mid-stream.
  const gen = generateTraffic({
    seed: 31,
    startTime: START,
    ratePerSecond: 12,
    count: 30_000,
    fraud: [...FRAUD_PATTERNS],
    nearMiss: true,
    disorderMs: 60_000,
  });
  const events = [...gen.events()];
  for (const e of events) {
    const r = validateEvent(e, { now: Date.now() });
    if (!r.ok) throw new Error(`generated event invalid: ${JSON.stringify(r.errors)}`);
  }
  const manifest = gen.manifest();
  const bodies: unknown[][] = [];
  for (let i = 0; i < events.length; i += 2000) bodies.push(events.slice(i, i + 2000));
  // Days later on every partition: every watermark passes every window of the input.
  bodies.push(
    Array.from({ length: CLOCK_USERS }, (_, i) => ({
      event_time: new Date(CLOCK_TIME).toISOString(),
      event_type: 'page_view',
      user_id: `clock-${i}`,
    })),
  );
  return { bodies, events: events.length + CLOCK_USERS, manifest };
}

describe('ingest → aggregator + 2 fraud-detectors: every SPEC §7 pattern and near miss (6 partitions)', () => {
  let input: Input;

  beforeAll(() => {
    input = buildInput();
    // The stream must exercise every rule, and the manifest must be trustworthy.
    expect(input.manifest.warnings).toEqual([]);
    expect(new Set(input.manifest.expected.map((a) => a.rule))).toEqual(new Set(ALERT_RULES));
    expect(new Set(input.manifest.near_misses.map((n) => n.rule))).toEqual(
      new Set(['click_flood', 'ip_hopping', 'purchase_velocity', 'high_value', 'geo_velocity']),
    );
  });

  it('raises exactly the expected alerts, in Postgres and once each on clickstream.alerts.v1', async () => {
    await runFraud(input, { kills: [] });
  });

  it('gives the same alerts, none twice on the topic, with a fraud-detector SIGKILLed twice mid-stream; the README consumer and alerts --follow get each once', async () => {
    await runFraud(input, { kills: [0.3, 0.65], readers: true });
  });
});

/** What `alerts --follow` is asked for in the crash run: two medium rules and a low one it must filter out. */
const FOLLOW_RULES = ['click_flood', 'traffic_spike', 'outlier_activity'] as const;
const FOLLOW_MIN_SEVERITY = 'medium';

async function runFraud(input: Input, o: { kills: number[]; readers?: boolean }): Promise<void> {
  const prefix = `${uniqueName('fraud')}.`;
  const topics = topicNames(prefix);
  const appId = `${prefix}clickstream-fraud-detector`;
  const db = await createMigratedDatabase('clickstream_fraud');
  const env = {
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_TOPIC_PARTITIONS: String(PARTITIONS),
    STREAMS_SESSION_TIMEOUT_MS: '6000',
    DATABASE_URL: db.url,
  };
  const running: RunningService[] = [];
  const readers: LineReader[] = [];
  const start = async (name: string) => {
    const svc = await startService(name, env);
    running.push(svc);
    return svc;
  };
  try {
    // The topics exist before any reader subscribes (a kafkajs consumer would create a missing one).
    await createPlatformTopics(testKafka(), prefix, PARTITIONS);
    const kafkaEnv = { KAFKA_BROKERS: testBrokers(), KAFKA_TOPIC_PREFIX: prefix };
    const follows = input.manifest.expected.filter(
      (e) =>
        (FOLLOW_RULES as readonly string[]).includes(e.rule) &&
        ALERT_SEVERITIES.indexOf(DEFAULT_FRAUD_CONFIG.rules[e.rule].severity) >=
          ALERT_SEVERITIES.indexOf(FOLLOW_MIN_SEVERITY),
    );
    if (o.readers) {
      readers.push(startReadmeConsumer({ ...kafkaEnv, ALERTS_GROUP: `${prefix}readme-consumer` }));
      const args = [
        '--rule',
        FOLLOW_RULES.join(','),
        '--severity',
        FOLLOW_MIN_SEVERITY,
        '--since',
        '1h',
        '--limit',
        String(follows.length),
        '--json',
      ];
      readers.push(startFollowCli(args, kafkaEnv));
    }
    const ingest = await start('ingest');
    await waitForHttpOk(ingest, '/health/ready', 60_000);
    for (const body of input.bodies) {
      const res = await fetch(ingest.url('/v1/events'), {
        method: 'POST',
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status).toBe(202);
    }
    const detectors = [await start('fraud-detector'), await start('fraud-detector')];
    await start('aggregator');
    // Booted from dist and ready (Kafka and Postgres reachable); the crash run kills without waiting.
    if (o.kills.length === 0)
      await Promise.all(detectors.map((d) => waitForHttpOk(d, '/health/ready', 60_000)));

    // Offsets also count transaction markers: progress runs a little ahead of records.
    for (const [i, fraction] of o.kills.entries()) {
      await waitFor(
        async () => (await progress(db.pool, appId, topics.events)) >= input.events * fraction,
        {
          timeoutMs: 120_000,
          intervalMs: 20,
          what: `fraud-detector at ${fraction}`,
        },
      );
      const victim = detectors[i % 2];
      await victim.stop('SIGKILL');
      detectors[i % 2] = await start('fraud-detector');
    }

    await waitUntilDone(db.pool, input, appId, topics.events);
    if (o.readers) {
      await expectFollowed(readers[1], follows.map(expectedId));
      await expectReadmeConsumed(readers[0], input.manifest.expected.map(expectedId));
    }
    await expectAlerts(db.pool, input.manifest.expected, topics.alerts);
  } finally {
    await Promise.all(readers.map((r) => r.stop()));
    await Promise.all(running.map((s) => s.stop('SIGKILL')));
    await db.drop().catch(() => undefined);
    await deleteTopics(testKafka(), Object.values(topics)).catch(() => undefined);
  }
}

/** Events consumed: the fraud-detector's committed offsets on the events topic. */
const progress = async (pool: Pool, group: string, topic: string) =>
  Number(
    (
      await pool.query<{ n: string | null }>(
        `SELECT sum(next_offset) AS n FROM stream_offsets WHERE group_id = $1 AND topic = $2`,
        [group, topic],
      )
    ).rows[0].n ?? 0,
  );

/**
 * Everything that can raise an alert of the input is done: every event processed, every outlier
 * hour before the clock evaluated, the traffic rules past the last final minute the aggregator
 * published before the clock, and the outbox of the tasks and the stage drained.
 */
async function waitUntilDone(
  pool: Pool,
  input: Input,
  appId: string,
  eventsTopic: string,
): Promise<void> {
  const expectedIds = new Set(input.manifest.expected.map(expectedId));
  const beforeClock = new Date(CLOCK_TIME - HOUR);
  const checks: Array<[string, () => Promise<boolean>]> = [
    [
      'every event processed',
      async () => (await progress(pool, appId, eventsTopic)) >= input.events,
    ],
    [
      'every expected alert stored',
      async () => {
        const { rows } = await pool.query<{ alert_id: string }>(`SELECT alert_id FROM alerts`);
        const have = new Set(rows.map((r) => r.alert_id));
        return [...expectedIds].every((id) => have.has(id));
      },
    ],
    [
      'every outlier hour before the clock evaluated',
      async () =>
        Number(
          (
            await pool.query(
              `SELECT count(*) AS n FROM fraud_user_activity WHERE window_start < $1`,
              [beforeClock],
            )
          ).rows[0].n,
        ) === 0,
    ],
    [
      'every 1 min window before the clock final',
      async () => {
        const { rows } = await pool.query<{ ms: string }>(
          `SELECT (extract(epoch FROM final_until) * 1000)::bigint AS ms FROM aggregate_progress WHERE window_size = '1m'`,
        );
        return (
          rows.length === 1 &&
          Number(rows[0].ms) === Math.floor((CLOCK_TIME - 2 * MINUTE) / MINUTE) * MINUTE
        );
      },
    ],
    [
      'traffic rules past the last final minute before the clock',
      async () => {
        const last = await pool.query<{ ms: string | null }>(
          `SELECT (extract(epoch FROM max(window_start)) * 1000)::bigint AS ms FROM window_aggregates
            WHERE window_size = '1m' AND dimension = 'all' AND window_start < $1`,
          [beforeClock],
        );
        const seen = (await committedJson(pool, appId, 'fraud-traffic-rules-store', '1m:all')) as
          { last?: number } | undefined;
        return last.rows[0].ms !== null && String(seen?.last) === last.rows[0].ms;
      },
    ],
    ['outbox drained', () => outboxDrained(pool, appId)],
  ];
  for (const [what, probe] of checks)
    await waitFor(probe, { timeoutMs: 150_000, intervalMs: 200, what });
}

/** `alerts --follow --limit N` exits by itself after N rows: exactly the wanted alerts, each once. */
async function expectFollowed(cli: LineReader, wantIds: string[]): Promise<void> {
  await waitFor(() => cli.child.exitCode !== null || cli.child.signalCode !== null, {
    timeoutMs: 60_000,
    what: `alerts --follow exits after ${wantIds.length} rows (${cli.lines.length} so far; stderr: ${cli.stderr().slice(-500)})`,
  });
  expect({ code: await cli.exited, stderr: cli.stderr() }).toEqual({ code: 0, stderr: '' });
  const shown = cli.lines.map((l) => fraudAlertSchema.parse(JSON.parse(l)));
  expect(shown.map((a) => a.alert_id).sort()).toEqual([...wantIds].sort());
}

/**
 * The README's consumer prints only what the committed log holds, and expectAlerts then shows that
 * the log holds each expected alert once; so once it printed as many lines as there are alerts,
 * they must be exactly the expected ones (a repeat would leave one missing).
 */
async function expectReadmeConsumed(reader: LineReader, wantIds: string[]): Promise<void> {
  await waitFor(() => reader.lines.length >= wantIds.length, {
    timeoutMs: 60_000,
    what: () =>
      `the README consumer to print ${wantIds.length} alerts (${reader.lines.length} so far; stderr: ${reader.stderr().slice(-500)})`,
  });
  // Stopped first: readWholeTopic (expectAlerts) appends end markers, which are not alerts.
  await reader.stop();
  const lines = reader.lines.map(
    (l) => JSON.parse(l) as { key: string; alert_id: string; rule: string },
  );
  expect(lines.map((l) => l.alert_id).sort()).toEqual([...wantIds].sort());
  for (const l of lines) expect(l.key).toBe(l.alert_id.split(':')[1]);
}

const expectedId = (a: ExpectedAlert) => `${a.rule}:${a.user_id ?? '*'}:${a.window_start}`;

function summary(
  a: Pick<
    FraudAlert,
    'alert_id' | 'rule' | 'severity' | 'user_id' | 'window_start' | 'window_end' | 'value'
  >,
) {
  return {
    alert_id: a.alert_id,
    rule: a.rule,
    severity: a.severity,
    user_id: a.user_id,
    window_start: a.window_start,
    window_end: a.window_end,
    value: a.value,
  };
}

async function expectAlerts(pool: Pool, expected: ExpectedAlert[], topic: string): Promise<void> {
  const want = expected
    .map((e) => ({
      alert_id: expectedId(e),
      rule: e.rule,
      severity: DEFAULT_FRAUD_CONFIG.rules[e.rule].severity,
      user_id: e.user_id,
      window_start: e.window_start,
      window_end: e.window_end,
      value: e.value,
      threshold: e.threshold,
    }))
    .sort((a, b) => a.alert_id.localeCompare(b.alert_id));
  const byId = new Map(want.map((w) => [w.alert_id, w]));

  // Postgres: exactly the expected alert_ids, each with its rule, severity, user, window and value.
  const { rows } = await pool.query<{
    alert_id: string;
    rule: FraudAlert['rule'];
    severity: FraudAlert['severity'];
    user_id: string | null;
    window_start: Date;
    window_end: Date;
    value: number;
    threshold: number;
  }>(
    `SELECT alert_id, rule, severity, user_id, window_start, window_end, value, threshold FROM alerts ORDER BY alert_id`,
  );
  const stored = rows.map((r) => ({
    ...r,
    window_start: r.window_start.toISOString(),
    window_end: r.window_end.toISOString(),
  }));
  expect(stored.map(summary)).toEqual(want.map(summary));
  for (const r of stored) expect(r.threshold).toBeCloseTo(byId.get(r.alert_id)!.threshold, 5);

  // The topic: every expected alert exactly once (read_committed), keyed by user_id or `*`.
  const published = (await readWholeTopic(testKafka(), topic, PARTITIONS)).map((r) => ({
    key: r.key,
    alert: fraudAlertSchema.parse(JSON.parse(r.value!)),
  }));
  const ids = published.map((p) => p.alert.alert_id);
  expect(ids.length - new Set(ids).size).toBe(0); // no duplicate
  expect(
    published.map((p) => summary(p.alert)).sort((a, b) => a.alert_id.localeCompare(b.alert_id)),
  ).toEqual(want.map(summary));
  for (const { key, alert } of published) expect(key).toBe(alert.user_id ?? '*');
}
