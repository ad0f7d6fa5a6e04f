import { Pool } from 'pg';
import { topicNames } from '@clickstream/contracts';
import { seedMetricsData, SEED_DIMENSIONS, SEED_RULES } from '../../../bench/api-seed';
import { deleteTopics, testKafka, uniqueName } from '../../support/kafka';
import { createMigratedDatabase } from '../../support/postgres';
import { RunningService, startService, waitForHttpOk } from '../../support/services';
import { waitFor } from '../../support/wait-for';
import { allPages, getJson, n, rate, sample, windowsBySql } from './metrics-harness';

const KEY = 'metrics-test-key';
const STAGES = ['none', 'view', 'cart', 'checkout', 'purchase'];

/**
 * The query API over seeded result tables (partial rows over 4 partitions, sessions, products,
 * alerts): every endpoint equals direct SQL over the same rows, pagination, validation, auth and
 * the business gauges.
 */
describe('metrics query API (SPEC §8) over seeded Postgres results', () => {
  const prefix = `${uniqueName('metrics-api')}.`;
  let db: Awaited<ReturnType<typeof createMigratedDatabase>>;
  let pool: Pool;
  let svc: RunningService;
  /** key '' sends no key. */
  const get = <T = unknown>(path: string, key = KEY) => getJson<T>(svc, path, key);
  const pages = <T>(path: string, onPage?: (page: number) => Promise<void>) =>
    allPages<T>(svc, path, KEY, onPage);

  beforeAll(async () => {
    db = await createMigratedDatabase('clickstream_test_metrics');
    pool = db.pool;
    await seedMetricsData(pool, {
      end: new Date(Date.now() + 3_600_000),
      hours: 3,
      partitions: 4,
      products: 40,
      sessions: 900,
      alerts: 160,
    });
    svc = await startService('metrics', {
      DATABASE_URL: db.url,
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_TOPIC_PARTITIONS: '2',
      METRICS_API_KEYS: `other-key,${KEY}`,
      METRICS_GAUGE_REFRESH_MS: '200',
    });
    await waitForHttpOk(svc, '/health/live', 60_000);
  });

  afterAll(async () => {
    await svc?.stop();
    await db?.drop();
    await deleteTopics(testKafka(), Object.values(topicNames(prefix))).catch(() => undefined);
  });

  const tableCounts = async () =>
    (
      await pool.query(
        `SELECT (SELECT count(*) FROM sessions) s, (SELECT count(*) FROM window_aggregates) w, (SELECT count(*) FROM alerts) a,
                (SELECT count(*) FROM product_hour_aggregates) p, (SELECT count(*) FROM stream_offsets) o`,
      )
    ).rows[0];

  it('windows: one row per window = SUM over partitions, conversion and final as SQL says, for every size and dimension', async () => {
    const { rows: bounds } = await pool.query<{ lo: Date; hi: Date }>(
      `SELECT min(window_start) lo, max(window_start) hi FROM window_aggregates`,
    );
    const from = new Date(bounds[0].lo.getTime() + 20 * 60_000).toISOString();
    const to = new Date(bounds[0].hi.getTime() - 10 * 60_000).toISOString();
    for (const size of ['1m', '5m', '1h']) {
      for (const dimension of ['all', 'purchase', 'view']) {
        const items = await pages<Record<string, unknown>>(
          `/v1/windows?size=${size}&dimension=${dimension}&from=${from}&to=${to}&limit=37`,
        );
        const expected = await windowsBySql(pool, size, dimension, from, to);
        expect(expected.length).toBeGreaterThan(0);
        expect(items).toEqual(expected);
        if (dimension === 'purchase')
          expect(items.every((w) => w.conversion_rate === 0)).toBe(true);
      }
    }
    const all = await pages<{ final: boolean }>(`/v1/windows?size=1m&limit=1000`);
    expect(all.some((w) => w.final) && all.some((w) => !w.final)).toBe(true);
  });

  it('sessions: every filter equals SQL, newest first, over all pages', async () => {
    const { rows: some } = await pool.query<{ user_id: string; started_at: Date }>(
      `SELECT user_id, started_at FROM sessions ORDER BY session_id LIMIT 1`,
    );
    const user = some[0].user_id;
    const from = new Date(some[0].started_at.getTime() - 3_600_000).toISOString();
    const to = new Date(some[0].started_at.getTime() + 600_000).toISOString();
    const cases: Array<[string, string, unknown[]]> = [
      ['', 'TRUE', []],
      [`user_id=${user}`, 'user_id = $1', [user]],
      ['status=open', `status = 'open'`, []],
      [
        `status=closed&from=${from}&to=${to}`,
        `status = 'closed' AND started_at >= $1 AND started_at < $2`,
        [from, to],
      ],
    ];
    for (const [query, where, params] of cases) {
      const items = await pages<{ session_id: string; revenue: number; started_at: string }>(
        `/v1/sessions?${query}&limit=97`,
      );
      const { rows } = await pool.query(
        `SELECT * FROM sessions WHERE ${where} ORDER BY started_at DESC, session_id DESC`,
        params,
      );
      expect(rows.length).toBeGreaterThan(0);
      expect(items).toEqual(
        rows.map((r) => ({
          ...r,
          started_at: r.started_at.toISOString(),
          last_event_at: r.last_event_at.toISOString(),
          closed_at: r.closed_at?.toISOString() ?? null,
          revenue: n(r.revenue),
        })),
      );
    }
  });

  it('top-products: sums over hours and partitions in [from, to), ranked by each measure', async () => {
    const { rows: hours } = await pool.query<{ h: Date }>(
      `SELECT DISTINCT window_start h FROM product_hour_aggregates ORDER BY h`,
    );
    const from = hours[1].h.toISOString();
    const to = hours[hours.length - 1].h.toISOString();
    for (const by of ['views', 'purchases', 'revenue']) {
      const items = await pages(`/v1/top-products?by=${by}&from=${from}&to=${to}&limit=7`);
      const { rows } = await pool.query(
        `SELECT product_id, sum(views) views, sum(carts) carts, sum(purchases) purchases, sum(revenue) revenue
           FROM product_hour_aggregates WHERE window_start >= $1 AND window_start < $2 GROUP BY product_id`,
        [from, to],
      );
      const expected = rows
        .map((r) => ({
          product_id: r.product_id,
          views: n(r.views),
          carts: n(r.carts),
          purchases: n(r.purchases),
          revenue: n(r.revenue),
        }))
        .sort(
          (a, b) => b[by as 'views'] - a[by as 'views'] || (a.product_id < b.product_id ? -1 : 1),
        );
      expect(items).toEqual(expected);
    }
    const top3 = await get<{ items: unknown[]; next_cursor: string | null }>(
      `/v1/top-products?by=revenue&limit=3`,
    );
    expect(top3.body.items).toHaveLength(3);
  });

  it('funnel: sessions reaching each stage and conversion equal SQL', async () => {
    const { rows: b } = await pool.query<{ lo: Date }>(`SELECT min(started_at) lo FROM sessions`);
    const from = new Date(b[0].lo.getTime() + 1_800_000).toISOString();
    const to = new Date(b[0].lo.getTime() + 7_200_000).toISOString();
    const { body } = await get<{
      sessions: number;
      stages: Array<{ stage: string; sessions: number; conversion_from_previous: number }>;
      conversion_rate: number;
    }>(`/v1/funnel?from=${from}&to=${to}`);
    const { rows } = await pool.query<{ funnel_stage: string; n: string }>(
      `SELECT funnel_stage, count(*) n FROM sessions WHERE started_at >= $1 AND started_at < $2 GROUP BY funnel_stage`,
      [from, to],
    );
    const count = (s: string) => n(rows.find((r) => r.funnel_stage === s)?.n ?? 0);
    const total = rows.reduce((x, r) => x + n(r.n), 0);
    const reached = (i: number) => STAGES.slice(i).reduce((x, s) => x + count(s), 0);
    expect(body.sessions).toBe(total);
    expect(body.stages.map((s) => [s.stage, s.sessions])).toEqual(
      [1, 2, 3, 4].map((i) => [STAGES[i], reached(i)]),
    );
    expect(body.stages[1].conversion_from_previous).toBeCloseTo(reached(2) / reached(1));
    expect(body.conversion_rate).toBeCloseTo(reached(4) / total);
  });

  it('alerts: rule, user_id and range filters equal SQL, newest window first', async () => {
    const { rows: one } = await pool.query<{ user_id: string; rule: string; window_start: Date }>(
      `SELECT user_id, rule, window_start FROM alerts WHERE user_id IS NOT NULL ORDER BY alert_id LIMIT 1`,
    );
    const from = new Date(one[0].window_start.getTime() - 3_600_000).toISOString();
    const to = new Date(one[0].window_start.getTime() + 60_000).toISOString();
    const cases: Array<[string, string, unknown[]]> = [
      ['', 'TRUE', []],
      ['rule=traffic_drop', `rule = 'traffic_drop'`, []],
      [`user_id=${one[0].user_id}`, 'user_id = $1', [one[0].user_id]],
      [
        `rule=${one[0].rule}&from=${from}&to=${to}`,
        `rule = $3 AND window_start >= $1 AND window_start < $2`,
        [from, to, one[0].rule],
      ],
    ];
    for (const [query, where, params] of cases) {
      const items = await pages(`/v1/alerts?${query}&limit=11`);
      const { rows } = await pool.query(
        `SELECT * FROM alerts WHERE ${where} ORDER BY window_start DESC, alert_id DESC`,
        params,
      );
      expect(rows.length).toBeGreaterThan(0);
      expect(items).toEqual(
        rows.map((r) => ({
          ...r,
          window_start: r.window_start.toISOString(),
          window_end: r.window_end.toISOString(),
          detected_at: r.detected_at.toISOString(),
        })),
      );
    }
  });

  it('overview: every KPI equals SQL over the windows it names', async () => {
    const at = new Date(Math.floor(Date.now() / 60_000) * 60_000 + 17_500);
    const { status, body } = await get<
      Record<string, unknown> & { ranges: { last_minute: unknown } }
    >(`/v1/overview?at=${at.toISOString()}`);
    expect(status).toBe(200);
    const minute = new Date(at.getTime() - 17_500);
    const five = new Date(Math.floor(at.getTime() / 300_000) * 300_000);
    const q = async (sql: string, params: unknown[]) => (await pool.query(sql, params)).rows[0];
    const m = await q(
      `SELECT COALESCE(sum(events), 0) e FROM window_aggregates WHERE window_size = '1m' AND dimension = 'all' AND window_start = $1`,
      [new Date(minute.getTime() - 60_000)],
    );
    const u = await q(
      `SELECT COALESCE(sum(unique_users), 0) u FROM window_aggregates WHERE window_size = '5m' AND dimension = 'all' AND window_start = $1`,
      [new Date(five.getTime() - 300_000)],
    );
    const h = await q(
      `SELECT COALESCE(sum(revenue), 0) r, COALESCE(sum(purchases), 0) p, COALESCE(sum(views), 0) v FROM window_aggregates
        WHERE window_size = '1m' AND dimension = 'all' AND window_start >= $1 AND window_start < $2`,
      [new Date(minute.getTime() - 3_600_000), minute],
    );
    const open = await q(`SELECT count(*) c FROM sessions WHERE status = 'open'`, []);
    const alerts = await pool.query(
      `SELECT rule, count(*) c FROM alerts WHERE detected_at >= $1 AND detected_at < $2 GROUP BY rule`,
      [new Date(at.getTime() - 3_600_000), at],
    );
    expect(body).toMatchObject({
      at: at.toISOString(),
      active_sessions: n(open.c),
      events_last_minute: n(m.e),
      unique_users_last_5m: n(u.u),
      revenue_last_hour: n(h.r),
      purchases_last_hour: n(h.p),
      views_last_hour: n(h.v),
      conversion_rate_last_hour: rate(n(h.p), n(h.v)),
      alerts_last_hour: alerts.rows.reduce((x, r) => x + n(r.c), 0),
      alerts_last_hour_by_rule: Object.fromEntries(alerts.rows.map((r) => [r.rule, n(r.c)])),
    });
    expect(body.events_last_minute).toBeGreaterThan(0);
    expect(body.active_sessions).toBeGreaterThan(0);
    expect(body.ranges.last_minute).toMatchObject({
      from: new Date(minute.getTime() - 60_000).toISOString(),
      to: minute.toISOString(),
    });
  });

  it('pagination returns every row exactly once while rows are inserted concurrently', async () => {
    const before = (
      await pool.query<{ session_id: string }>(`SELECT session_id FROM sessions`)
    ).rows.map((r) => r.session_id);
    const { rows: span } = await pool.query<{ lo: Date; hi: Date }>(
      `SELECT min(started_at) lo, max(started_at) hi FROM sessions`,
    );
    let inserted = 0;
    // After each page, new sessions land before, inside and after the pages already read.
    const insert = async (page: number) => {
      const lo = span[0].lo.getTime();
      const width = span[0].hi.getTime() - lo;
      for (const f of [0.05, 0.5, 0.95, 1.1]) {
        const at = new Date(lo + width * f + page * 7);
        await pool.query(
          `INSERT INTO sessions (session_id, user_id, started_at, last_event_at, duration_s, event_count, event_counts, revenue, funnel_stage, converted, bounced, client_session_ids, status)
           VALUES ($1, 'late-user', $2, $2, 0, 1, '{}', 0, 'none', false, true, '{}', 'open')`,
          [`concurrent-${page}-${f}`, at],
        );
        inserted++;
      }
    };
    const items = await pages<{ session_id: string }>(`/v1/sessions?limit=50`, insert);
    const ids = items.map((s) => s.session_id);
    expect(new Set(ids).size).toBe(ids.length);
    const seen = new Set(ids);
    expect(before.filter((id) => !seen.has(id))).toEqual([]);
    expect(inserted).toBeGreaterThan(40);
    await pool.query(`DELETE FROM sessions WHERE user_id = 'late-user'`);
  });

  describe('validation', () => {
    const bad: Array<[string, string]> = [
      ['/v1/sessions?status=gone', 'status'],
      ['/v1/sessions?from=yesterday', 'from'],
      ['/v1/sessions?to=2024-13-01T00:00:00Z', 'to'],
      ['/v1/sessions?from=2024-01-02T00:00:00Z&to=2024-01-01T00:00:00Z', 'to'],
      ['/v1/sessions?limit=1001', 'limit'],
      ['/v1/sessions?limit=-1', 'limit'],
      ['/v1/sessions?cursor=nope', 'cursor'],
      ['/v1/sessions?user_id=a&user_id=b', 'user_id'],
      ['/v1/windows', 'size'],
      ['/v1/windows?size=10m', 'size'],
      ['/v1/windows?size=1m&dimension=add_to_cart', 'dimension'],
      ['/v1/top-products?by=price', 'by'],
      ['/v1/top-products?limit=abc', 'limit'],
      ['/v1/funnel?from=2024-01-01', 'from'],
      ['/v1/alerts?rule=fraud', 'rule'],
      ['/v1/overview?at=now', 'at'],
    ];
    it.each(bad)('%s → 400 naming %s and what it accepts', async (path, parameter) => {
      const { status, body } = await get<{ parameter: string; message: string; accepted: string }>(
        path,
      );
      expect(status).toBe(400);
      expect(body.parameter).toBe(parameter);
      expect(body.message).toContain(parameter);
      expect(body.accepted.length).toBeGreaterThan(0);
    });

    it.each([
      '/v1/sessions',
      '/v1/windows?size=1m',
      '/v1/top-products',
      '/v1/funnel',
      '/v1/alerts',
      '/v1/overview',
    ])('%s with an unknown parameter → 400', async (path) => {
      const { status, body } = await get<{ parameter: string; message: string }>(
        `${path}${path.includes('?') ? '&' : '?'}sort=desc`,
      );
      expect(status).toBe(400);
      expect(body.parameter).toBe('sort');
      expect(body.message).toContain('unknown parameter');
    });

    it('an SQL injection string in any parameter is a 400 (user_id: a user id matching nothing) and changes no table', async () => {
      const before = await tableCounts();
      const evil = encodeURIComponent(`x'; DROP TABLE sessions; --`);
      const params: Record<string, string[]> = {
        '/v1/sessions': ['status', 'from', 'to', 'limit', 'cursor'],
        '/v1/windows?size=1m': ['dimension', 'from', 'to', 'limit', 'cursor'],
        '/v1/top-products': ['by', 'from', 'to', 'limit', 'cursor'],
        '/v1/funnel': ['from', 'to'],
        '/v1/alerts': ['rule', 'from', 'to', 'limit', 'cursor'],
        '/v1/overview': ['at'],
      };
      for (const [path, names] of Object.entries(params)) {
        for (const name of names) {
          const { status, body } = await get<{ parameter: string }>(
            `${path}${path.includes('?') ? '&' : '?'}${name}=${evil}`,
          );
          expect([path, name, status, body.parameter]).toEqual([path, name, 400, name]);
        }
      }
      expect((await get(`/v1/windows?size=${evil}`)).status).toBe(400);
      for (const path of ['/v1/sessions', '/v1/alerts']) {
        const { status, body } = await get<{ items: unknown[] }>(`${path}?user_id=${evil}`);
        expect([path, status, body.items]).toEqual([path, 200, []]);
      }
      expect(await tableCounts()).toEqual(before);
    });
  });

  it('without a configured key → 401; x-api-key or Bearer with any configured key → 200', async () => {
    for (const path of [
      '/v1/sessions',
      '/v1/windows?size=1m',
      '/v1/top-products',
      '/v1/funnel',
      '/v1/alerts',
      '/v1/overview',
      '/v1/rules',
      '/v1/rules/history',
    ]) {
      expect((await get(path, '')).status).toBe(401);
      expect((await get(path, 'wrong')).status).toBe(401);
      expect((await get(path)).status).toBe(200);
    }
    const bearer = await fetch(svc.url('/v1/overview'), {
      headers: { authorization: 'Bearer other-key' },
    });
    expect(bearer.status).toBe(200);
    // Probes and scrapes stay open.
    expect((await fetch(svc.url('/metrics'))).status).toBe(200);
    expect((await fetch(svc.url('/health/live'))).status).toBe(200);
    const docs = (await (await fetch(svc.url('/docs-json'))).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(docs.paths)).toEqual(
      expect.arrayContaining([
        '/v1/sessions',
        '/v1/windows',
        '/v1/top-products',
        '/v1/funnel',
        '/v1/alerts',
        '/v1/overview',
        '/v1/rules',
        '/v1/rules/history',
        '/v1/rules/{rule}',
      ]),
    );
    expect(Object.keys(docs.paths['/v1/rules/{rule}'] as object).sort()).toEqual(['delete', 'put']);
    // A read key never changes a rule; without METRICS_ADMIN_API_KEYS nothing does (403).
    const put = await fetch(svc.url('/v1/rules/click_flood'), {
      method: 'PUT',
      body: '{"threshold":80}',
      headers: { 'content-type': 'application/json', authorization: 'Bearer other-key' },
    });
    expect(put.status).toBe(403);
  });

  it('/metrics shows every business gauge with the values of /v1/overview', async () => {
    const scrape = async () => (await fetch(svc.url('/metrics'))).text();
    await waitFor(
      async () => {
        const { body: o } = await get<Record<string, number>>('/v1/overview');
        const text = await scrape();
        return (
          sample(text, 'clickstream_active_sessions') === o.active_sessions &&
          sample(text, 'clickstream_events_per_minute') === o.events_last_minute &&
          sample(text, 'clickstream_unique_users_5m') === o.unique_users_last_5m &&
          Math.abs(sample(text, 'clickstream_revenue_last_hour')! - o.revenue_last_hour) < 0.005 &&
          Math.abs(
            sample(text, 'clickstream_conversion_rate_last_hour')! - o.conversion_rate_last_hour,
          ) < 1e-9
        );
      },
      { timeoutMs: 20_000, what: 'gauges equal to the overview' },
    );
    const text = await scrape();
    expect(sample(text, 'clickstream_events_per_minute')).toBeGreaterThan(0);
    const rate = sample(text, 'clickstream_conversion_rate_last_hour')!;
    expect(rate).toBeGreaterThan(0);
    expect(rate).toBeLessThanOrEqual(1);
    for (const rule of SEED_RULES)
      expect(sample(text, 'clickstream_alerts_last_hour', { rule })).toBeGreaterThanOrEqual(0);
    const funnel = STAGES.map((stage) => sample(text, 'clickstream_funnel_sessions', { stage })!);
    expect(funnel[0]).toBeGreaterThan(0);
    for (let i = 1; i < funnel.length; i++) expect(funnel[i]).toBeLessThanOrEqual(funnel[i - 1]);
    expect(text).not.toMatch(/user_id=|user-\d/);
    expect(SEED_DIMENSIONS).toContain('all');
  });
});
