import { PoolClient } from 'pg';
import { AlertRule, alertRow, FraudAlert, fraudAlertSchema } from '@clickstream/contracts';
import { GlobalStageContext } from '@clickstream/streams';
import { byWindow, OUTLIER_STAGE, outlierStage } from './outlier-stage';
import { FraudConfig, FraudConfigSource, fraudConfigWith } from './rules/rule-config';
import { topics } from '../../test/fraud-fixtures';

const HOUR = 3_600_000;
const H10 = Date.UTC(2026, 10, 22, 10);
const NOW = Date.UTC(2026, 10, 22, 12, 0, 30);

interface ActivityRow {
  window_start: number;
  user_id: string;
  partition: number;
  events: number;
}

/**
 * Stands in for the stage's Postgres transaction: fraud_user_activity and alerts in memory, and the
 * two statements the stage runs, interpreted from their parameters (so the SQL must be parameterised).
 */
class FakeClient {
  activity: ActivityRow[] = [];
  alerts = new Map<string, Record<string, unknown>>();
  queries: Array<{ sql: string; params: unknown[] }> = [];

  query(sql: string, params: unknown[] = []) {
    this.queries.push({ sql, params });
    if (/DELETE FROM fraud_user_activity/.test(sql)) return Promise.resolve(this.take(params));
    if (/SELECT 1 FROM fraud_user_activity/.test(sql))
      return Promise.resolve({
        rows: this.activity.filter((r) => r.window_start <= (params[0] as number)).slice(0, 1),
      });
    if (/INSERT INTO alerts/.test(sql)) return Promise.resolve(this.insert(params));
    return Promise.reject(new Error(`unexpected query: ${sql}`));
  }

  private take([lastStart, limit]: unknown[]) {
    const due = [...new Set(this.activity.map((r) => r.window_start))]
      .filter((s) => s <= (lastStart as number))
      .sort((a, b) => a - b)
      .slice(0, limit as number);
    const gone = this.activity.filter((r) => due.includes(r.window_start));
    this.activity = this.activity.filter((r) => !due.includes(r.window_start));
    const sums = new Map<string, { start_ms: string; user_id: string; events: number }>();
    for (const r of gone) {
      const k = `${r.window_start}|${r.user_id}`;
      const s = sums.get(k) ?? { start_ms: String(r.window_start), user_id: r.user_id, events: 0 };
      s.events += r.events;
      sums.set(k, s);
    }
    const rows = [...sums.values()]
      .sort((a, b) => Number(a.start_ms) - Number(b.start_ms) || a.user_id.localeCompare(b.user_id))
      .map((r) => ({ ...r, events: String(r.events) }));
    return { rows };
  }

  /** One array parameter per column of the alerts row contract, in its order; jsonb as JSON text. */
  private insert(params: unknown[]) {
    const columns = Object.entries(alertRow.columnTypes);
    const ids = params[0] as string[];
    const rows: Array<{ alert_id: string }> = [];
    ids.forEach((id, i) => {
      if (this.alerts.has(id)) return;
      const row = Object.fromEntries(
        columns.map(([name, type], c) => {
          const value = (params[c] as unknown[])[i];
          return [name, type === 'jsonb' ? (JSON.parse(value as string) as unknown) : value];
        }),
      );
      this.alerts.set(id, row);
      rows.push({ alert_id: id });
    });
    return { rows };
  }
}

/** 24 ordinary users (3..8 events) over 3 partitions, plus one heavy user. */
function hourOf(start: number, heavyEvents = 60): ActivityRow[] {
  const rows: ActivityRow[] = [];
  for (let i = 0; i < 24; i++)
    rows.push({
      window_start: start,
      user_id: `u${String(i).padStart(2, '0')}`,
      partition: i % 3,
      events: 3 + (i % 6),
    });
  rows.push({ window_start: start, user_id: 'heavy', partition: 1, events: heavyEvents });
  return rows;
}

function setup(cfg: FraudConfig | FraudConfigSource = fraudConfigWith()) {
  const client = new FakeClient();
  const evaluations: AlertRule[] = [];
  const raised: Array<{ alert: FraudAlert; latencyMs: number }> = [];
  const stage = outlierStage({
    topics,
    cfg,
    onEvaluate: (rule) => evaluations.push(rule),
    onAlert: (alert, latencyMs) => raised.push({ alert, latencyMs }),
  });
  const run = (globalWatermark: number | null, now = NOW) =>
    stage.run({
      client: client as unknown as PoolClient,
      globalWatermark,
      now,
    } satisfies GlobalStageContext);
  const due = (globalWatermark: number | null) =>
    stage.due!({ db: client as unknown as PoolClient, globalWatermark, now: NOW });
  return { client, stage, run, due, evaluations, raised };
}

describe('outlier_activity global stage', () => {
  it('runs on the events topic under its own name', () => {
    const { stage } = setup();
    expect(stage.name).toBe(OUTLIER_STAGE);
    expect(stage.topic).toBe(topics.events);
  });

  it('does nothing while the global watermark is unknown', async () => {
    const { client, run } = setup();
    client.activity = hourOf(H10);
    expect(await run(null)).toEqual([]);
    expect(client.queries).toHaveLength(0);
    expect(client.activity).toHaveLength(25);
  });

  it('is due only when a final window has rows, so idle steps take no lock', async () => {
    const { client, due } = setup();
    expect(await due(H10 + HOUR)).toBe(false);
    client.activity = hourOf(H10);
    expect(await due(null)).toBe(false);
    expect(await due(H10 + HOUR - 1)).toBe(false);
    expect(await due(H10 + HOUR)).toBe(true);
    expect(client.queries.map((q) => q.params)).toEqual([[H10], [H10 - 1], [H10]]);
  });

  it('leaves a window alone until the watermark reaches its end', async () => {
    const { client, run } = setup();
    client.activity = hourOf(H10);
    expect(await run(H10 + HOUR - 1)).toEqual([]);
    // Parameterised: the last window start that may be final, and the per-run bound.
    expect(client.queries[0].params).toEqual([H10 - 1, 24]);
    expect(client.activity).toHaveLength(25);
  });

  it('evaluates a final window once: alert row, message keyed by user, rows deleted, metrics', async () => {
    const { client, run, evaluations, raised } = setup();
    client.activity = [...hourOf(H10), ...hourOf(H10 + HOUR)];
    const messages = await run(H10 + HOUR);

    expect(messages).toHaveLength(1);
    const [m] = messages;
    expect(m.topic).toBe(topics.alerts);
    expect(m.key).toBe('heavy');
    const alert = fraudAlertSchema.parse(JSON.parse(m.value));
    expect(alert).toMatchObject({
      alert_id: 'outlier_activity:heavy:2026-11-22T10:00:00.000Z',
      rule: 'outlier_activity',
      severity: 'low',
      user_id: 'heavy',
      window_start: '2026-11-22T10:00:00.000Z',
      window_end: '2026-11-22T11:00:00.000Z',
      value: 60,
      detected_at: new Date(NOW).toISOString(),
    });
    expect(alert.evidence).toMatchObject({ users: 25, events: 60 });
    expect(client.alerts.get(alert.alert_id)).toMatchObject({
      rule: 'outlier_activity',
      user_id: 'heavy',
    });
    expect(client.alerts.get(alert.alert_id)?.evidence).toEqual(alert.evidence);
    // The stored row is the contract's alert row, equal to the published alert.
    expect(alertRow.schema.parse(client.alerts.get(alert.alert_id))).toEqual(alert);
    const insert = client.queries.find((q) => /INSERT INTO alerts/.test(q.sql))!;
    expect(insert.sql).toContain(
      `INSERT INTO alerts (${Object.keys(alertRow.columnTypes).join(', ')})`,
    );

    // The evaluated window's rows are gone; the next (open) window's stay.
    expect(client.activity.every((r) => r.window_start === H10 + HOUR)).toBe(true);
    expect(client.activity).toHaveLength(25);
    expect(evaluations).toEqual(Array(25).fill('outlier_activity'));
    expect(raised.map((r) => r.alert.alert_id)).toEqual([alert.alert_id]);
    expect(raised[0].latencyMs).toBe(NOW - (H10 + HOUR));

    // A later run with the same watermark finds nothing: exactly once.
    expect(await run(H10 + HOUR + 5_000)).toEqual([]);
    expect(client.alerts.size).toBe(1);
  });

  it('sums a user over partitions (GROUP BY window_start, user_id) before the quartiles', async () => {
    const { client, run } = setup();
    client.activity = hourOf(H10, 6);
    // The same user in two partition rows (a repartitioned topic): 6 + 54 = 60 events.
    client.activity.push({ window_start: H10, user_id: 'heavy', partition: 4, events: 54 });
    const messages = await run(H10 + HOUR);
    expect(
      messages.map((m) => JSON.parse(m.value) as FraudAlert).map((a) => [a.user_id, a.value]),
    ).toEqual([['heavy', 60]]);
  });

  it('never stores or publishes an alert_id twice, even if rows of an evaluated window come back', async () => {
    const { client, run, raised } = setup();
    client.activity = hourOf(H10);
    expect(await run(H10 + HOUR)).toHaveLength(1);
    // A straggler partition re-writes the window's rows (SPEC §4 lets an idle partition be passed).
    client.activity = hourOf(H10);
    expect(await run(H10 + HOUR)).toEqual([]);
    expect(client.activity).toHaveLength(0);
    expect(client.alerts.size).toBe(1);
    expect(raised).toHaveLength(1);
  });

  it('evaluates several final windows in order, at most maxWindowsPerRun per run', async () => {
    const client = new FakeClient();
    const stage = outlierStage({ topics, cfg: fraudConfigWith(), maxWindowsPerRun: 2 });
    client.activity = [0, 1, 2].flatMap((h) => hourOf(H10 + h * HOUR));
    const ctx = {
      client: client as unknown as PoolClient,
      globalWatermark: H10 + 3 * HOUR,
      now: NOW,
    };
    const first = await stage.run(ctx);
    expect(first.map((m) => (JSON.parse(m.value) as FraudAlert).window_start)).toEqual([
      '2026-11-22T10:00:00.000Z',
      '2026-11-22T11:00:00.000Z',
    ]);
    const second = await stage.run(ctx);
    expect(second.map((m) => (JSON.parse(m.value) as FraudAlert).window_start)).toEqual([
      '2026-11-22T12:00:00.000Z',
    ]);
    expect(client.activity).toHaveLength(0);
  });

  it('follows the configured window size and thresholds', async () => {
    const cfg = fraudConfigWith(
      { outlier_activity: { windowMs: 30 * 60_000, severity: 'medium' } },
      { outlier: { minUsers: 30 } },
    );
    const { client, run } = setup(cfg);
    client.activity = hourOf(H10);
    expect(await run(H10 + 30 * 60_000)).toEqual([]); // 25 users < 30: evaluated, nothing flagged
    expect(client.activity).toHaveLength(0);
    const { client: c2, run: run2 } = setup(
      fraudConfigWith({ outlier_activity: { windowMs: 30 * 60_000, severity: 'medium' } }),
    );
    c2.activity = hourOf(H10);
    const [m] = await run2(H10 + 30 * 60_000);
    expect(JSON.parse(m.value)).toMatchObject({
      severity: 'medium',
      window_end: '2026-11-22T10:30:00.000Z',
    });
  });

  it('raises nothing while the rule is disabled, but clears the final windows so their rows do not pile up', async () => {
    const { client, run } = setup(fraudConfigWith({ outlier_activity: { enabled: false } }));
    client.activity = hourOf(H10);
    expect(await run(H10 + 2 * HOUR)).toEqual([]);
    expect(client.activity).toHaveLength(0);
  });

  it('reads a live config on every run: switched on at runtime, the next final window is judged', async () => {
    let cfg = fraudConfigWith({ outlier_activity: { enabled: false } });
    const { client, run } = setup(() => cfg);
    client.activity = hourOf(H10);
    expect(await run(H10 + HOUR)).toEqual([]);
    cfg = fraudConfigWith();
    client.activity = hourOf(H10 + HOUR);
    expect((await run(H10 + 2 * HOUR)).length).toBeGreaterThan(0);
  });
});

describe('byWindow', () => {
  it('groups ordered rows per window start', () => {
    const grouped = byWindow([
      { window_start: 1, user_id: 'a', events: 2 },
      { window_start: 1, user_id: 'b', events: 3 },
      { window_start: 2, user_id: 'a', events: 1 },
    ]);
    expect([...grouped]).toEqual([
      [
        1,
        [
          { user_id: 'a', events: 2 },
          { user_id: 'b', events: 3 },
        ],
      ],
      [2, [{ user_id: 'a', events: 1 }]],
    ]);
  });
});
