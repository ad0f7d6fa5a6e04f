import { Admin } from 'kafkajs';
import { Pool } from 'pg';
import { topicNames } from '@clickstream/contracts';
import { FRAUD_PATTERNS, generateTraffic } from '../../../tools/generate/traffic-generator';
import { deleteTopics, testKafka, uniqueName } from '../../support/kafka';
import { createMigratedDatabase } from '../../support/postgres';
import { RunningService, startService, waitForHttpOk } from '../../support/services';
import { waitFor } from '../../support/wait-for';
import { allPages, getJson, n, sample, windowsBySql } from './metrics-harness';

const PARTITIONS = 3;
const PROCESSORS = ['sessionizer', 'aggregator', 'fraud-detector'] as const;
const BUSINESS_METRICS = [
  'clickstream_active_sessions',
  'clickstream_events_per_minute',
  'clickstream_unique_users_5m',
  'clickstream_revenue_last_hour',
  'clickstream_conversion_rate_last_hour',
  'clickstream_alerts_last_hour',
  'clickstream_funnel_sessions',
];

/**
 * The metrics service over results the real processors committed: a generated replay (with fraud
 * patterns) goes through ingest to the sessionizer, aggregator and fraud-detector; every endpoint
 * then equals direct SQL over what they wrote, /metrics shows every business metric, and consumer
 * lag is 0 when the processors caught up and rises for a processor that is stopped while events flow.
 */
/** jest's toEqual as a predicate (JSON numbers vs pg values: the same semantics as the final assertion). */
function equal(a: unknown, b: unknown): boolean {
  try {
    expect(a).toEqual(b);
    return true;
  } catch {
    return false;
  }
}

describe('metrics service over a database seeded by the real processors', () => {
  const prefix = `${uniqueName('metrics-e2e')}.`;
  const topics = topicNames(prefix);
  const groups = Object.fromEntries(
    PROCESSORS.map((p) => [p, `${prefix}clickstream-${p}`]),
  ) as Record<(typeof PROCESSORS)[number], string>;
  let db: Awaited<ReturnType<typeof createMigratedDatabase>>;
  let pool: Pool;
  let admin: Admin;
  const services = new Map<string, RunningService>();
  let metrics: RunningService;
  const now = Date.now();
  const from = new Date(now - 2 * 3_600_000).toISOString();
  const to = new Date(now + 3_600_000).toISOString();

  const start = async (name: string, extra: NodeJS.ProcessEnv = {}) => {
    const svc = await startService(name, {
      DATABASE_URL: db.url,
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_TOPIC_PARTITIONS: String(PARTITIONS),
      STREAMS_SESSION_TIMEOUT_MS: '6000',
      // No idle advance during the test: the results stay as the replay left them while compared.
      STREAMS_IDLE_TIMEOUT_MS: '3600000',
      METRICS_GAUGE_REFRESH_MS: '200',
      ...extra,
    });
    services.set(name, svc);
    await waitForHttpOk(svc, '/health/ready', 60_000);
    return svc;
  };
  const post = async (events: unknown[]) => {
    const res = await fetch(services.get('ingest')!.url('/v1/events'), {
      method: 'POST',
      body: JSON.stringify(events),
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(202);
  };
  const endOffsets = async () =>
    (await admin.fetchTopicOffsets(topics.events)).reduce((s, p) => s + Number(p.high), 0);
  const committed = async (group: string) =>
    n(
      (
        await pool.query<{ s: string | null }>(
          `SELECT sum(next_offset) s FROM stream_offsets WHERE group_id = $1 AND topic = $2`,
          [group, topics.events],
        )
      ).rows[0].s,
    );
  /**
   * Waits until `group` committed up to the topic's end, both read afresh on every poll: the end is
   * the last stable offset, and Kafka writes a transaction's commit markers after the producer's
   * commit returns, so an end read once right after a 202 can stay below what the group commits.
   */
  const caughtUp = async (group: string, timeoutMs: number) => {
    let last: [number, number] | undefined;
    await waitFor(
      async () => {
        last = [await committed(group), await endOffsets()];
        return last[0] === last[1];
      },
      { timeoutMs, what: `${group} committed every offset` },
    ).catch((err: Error) => {
      throw new Error(`${err.message} (committed ${last?.[0]}, end ${last?.[1]})`);
    });
  };
  const metricsText = async () => (await fetch(metrics.url('/metrics'))).text();
  const lagOf = (text: string, group: string) =>
    Array.from({ length: PARTITIONS }, (_, p) =>
      sample(text, 'kafka_consumergroup_lag', {
        group,
        topic: topics.events,
        partition: String(p),
      }),
    );
  /** Polls until the API answer equals the SQL answer (both read committed results). */
  const converge = async <T>(what: string, api: () => Promise<T>, sql: () => Promise<T>) => {
    let last: [T, T] | undefined;
    await waitFor(
      async () => {
        last = [await api(), await sql()];
        return equal(last[0], last[1]);
      },
      { timeoutMs: 20_000, what },
    ).catch(() => expect(last?.[0]).toEqual(last?.[1]));
  };

  beforeAll(async () => {
    db = await createMigratedDatabase('clickstream_test_metrics_e2e');
    pool = db.pool;
    admin = testKafka().admin();
    await admin.connect();
    await start('ingest');
    for (const p of PROCESSORS) await start(p);
    metrics = await start('metrics');
    // 30 min of traffic ending now, with the per-user fraud patterns.
    const events = [
      ...generateTraffic({
        seed: 5,
        startTime: now - 30 * 60_000,
        ratePerSecond: 5,
        count: 9000,
        fraud: FRAUD_PATTERNS,
        disorderMs: 20_000,
      }).events(),
    ];
    for (let i = 0; i < events.length; i += 3000) await post(events.slice(i, i + 3000));
    for (const p of PROCESSORS) await caughtUp(groups[p], 120_000);
  });

  afterAll(async () => {
    await Promise.all([...services.values()].map((s) => s.stop('SIGKILL')));
    await admin?.disconnect();
    await db?.drop();
    await deleteTopics(testKafka(), Object.values(topics)).catch(() => undefined);
  });

  it('windows, sessions, top products, funnel, alerts and overview equal SQL over what the processors wrote', async () => {
    for (const [size, dimension] of [
      ['1m', 'all'],
      ['5m', 'view'],
      ['1h', 'all'],
    ]) {
      await converge(
        `windows ${size}/${dimension}`,
        () =>
          allPages(
            metrics,
            `/v1/windows?size=${size}&dimension=${dimension}&from=${from}&to=${to}&limit=200`,
            '',
          ),
        () => windowsBySql(pool, size, dimension, from, to),
      );
    }
    const windows = await allPages<{ events: number }>(
      metrics,
      `/v1/windows?size=1h&from=${from}&to=${to}`,
      '',
    );
    expect(windows.reduce((s, w) => s + w.events, 0)).toBe(9000);

    await converge(
      'sessions',
      () => allPages(metrics, `/v1/sessions?from=${from}&to=${to}&limit=500`, ''),
      async () =>
        (
          await pool.query(
            `SELECT * FROM sessions WHERE started_at >= $1 AND started_at < $2 ORDER BY started_at DESC, session_id DESC`,
            [from, to],
          )
        ).rows.map((r) => ({
          ...r,
          started_at: r.started_at.toISOString(),
          last_event_at: r.last_event_at.toISOString(),
          closed_at: r.closed_at?.toISOString() ?? null,
          revenue: n(r.revenue),
        })),
    );

    await converge(
      'top products by revenue',
      async () =>
        (
          await getJson<{ items: unknown[] }>(
            metrics,
            `/v1/top-products?by=revenue&from=${from}&to=${to}&limit=10`,
          )
        ).body.items,
      async () =>
        (
          await pool.query(
            `SELECT product_id, sum(views) views, sum(carts) carts, sum(purchases) purchases, sum(revenue) revenue
               FROM product_hour_aggregates WHERE window_start >= $1 AND window_start < $2
              GROUP BY product_id ORDER BY sum(revenue) DESC, product_id LIMIT 10`,
            [from, to],
          )
        ).rows.map((r) => ({
          product_id: r.product_id,
          views: n(r.views),
          carts: n(r.carts),
          purchases: n(r.purchases),
          revenue: n(r.revenue),
        })),
    );

    await converge(
      'funnel',
      async () => {
        const { body } = await getJson<{
          sessions: number;
          stages: Array<{ stage: string; sessions: number }>;
        }>(metrics, `/v1/funnel?from=${from}&to=${to}`);
        return [body.sessions, ...body.stages.map((s) => [s.stage, s.sessions])];
      },
      async () => {
        const { rows } = await pool.query<{ funnel_stage: string; c: string }>(
          `SELECT funnel_stage, count(*) c FROM sessions WHERE started_at >= $1 AND started_at < $2 GROUP BY funnel_stage`,
          [from, to],
        );
        const order = ['none', 'view', 'cart', 'checkout', 'purchase'];
        const count = (i: number) =>
          rows.filter((r) => order.indexOf(r.funnel_stage) >= i).reduce((s, r) => s + n(r.c), 0);
        return [count(0), ...[1, 2, 3, 4].map((i) => [order[i], count(i)])];
      },
    );

    await converge(
      'alerts',
      () => allPages(metrics, `/v1/alerts?from=${from}&to=${to}&limit=7`, ''),
      async () =>
        (
          await pool.query(
            `SELECT * FROM alerts WHERE window_start >= $1 AND window_start < $2 ORDER BY window_start DESC, alert_id DESC`,
            [from, to],
          )
        ).rows.map((r) => ({
          ...r,
          window_start: r.window_start.toISOString(),
          window_end: r.window_end.toISOString(),
          detected_at: r.detected_at.toISOString(),
        })),
    );
    const rules = new Set(
      (await pool.query<{ rule: string }>(`SELECT DISTINCT rule FROM alerts`)).rows.map(
        (r) => r.rule,
      ),
    );
    expect([...rules].sort()).toEqual(
      expect.arrayContaining([
        'click_flood',
        'geo_velocity',
        'high_value',
        'ip_hopping',
        'purchase_velocity',
      ]),
    );

    const overview = (
      await getJson<{ active_sessions: number; unique_users_last_5m: number }>(
        metrics,
        '/v1/overview',
      )
    ).body;
    const open = n(
      (await pool.query(`SELECT count(*) c FROM sessions WHERE status = 'open'`)).rows[0].c,
    );
    expect(overview.active_sessions).toBe(open);
    expect(open).toBeGreaterThan(0);
  });

  it('/metrics shows every business metric with sane values, and lag 0 for every caught-up processor', async () => {
    await waitFor(
      async () => {
        const text = await metricsText();
        return (
          BUSINESS_METRICS.every((m) => sample(text, m) !== undefined) &&
          PROCESSORS.every((p) => lagOf(text, groups[p]).every((l) => l === 0))
        );
      },
      { timeoutMs: 20_000, what: 'business metrics and zero lag' },
    );
    const text = await metricsText();
    const open = n(
      (await pool.query(`SELECT count(*) c FROM sessions WHERE status = 'open'`)).rows[0].c,
    );
    expect(sample(text, 'clickstream_active_sessions')).toBe(open);
    expect(sample(text, 'clickstream_revenue_last_hour')).toBeGreaterThan(0);
    const cr = sample(text, 'clickstream_conversion_rate_last_hour')!;
    expect(cr).toBeGreaterThanOrEqual(0);
    expect(cr).toBeLessThanOrEqual(1);
    expect(sample(text, 'clickstream_alerts_last_hour', { rule: 'click_flood' })).toBeGreaterThan(
      0,
    );
    const end = await endOffsets();
    const current = Array.from(
      { length: PARTITIONS },
      (_, p) =>
        sample(text, 'kafka_topic_partition_current_offset', {
          topic: topics.events,
          partition: String(p),
        }) ?? 0,
    );
    expect(current.reduce((s, x) => s + x, 0)).toBe(end);
  });

  it('lag rises for a processor that is stopped while events flow, and stays 0 for the others', async () => {
    await services.get('aggregator')!.stop('SIGKILL');
    const t = Date.now();
    await post(
      Array.from({ length: 300 }, (_, i) => ({
        event_time: new Date(t - 1000).toISOString(),
        event_type: 'view',
        user_id: `late-user-${i}`,
      })),
    );
    await caughtUp(groups.sessionizer, 60_000);
    await waitFor(
      async () => {
        const text = await metricsText();
        const agg = lagOf(text, groups.aggregator).reduce((s: number, l) => s + (l ?? 0), 0);
        return agg >= 300 && lagOf(text, groups.sessionizer).every((l) => l === 0);
      },
      { timeoutMs: 30_000, what: 'aggregator lag >= 300 while the sessionizer is at 0' },
    );
  });
});
