import { PoolClient } from 'pg';
import {
  alertKey,
  AlertRow,
  alertRow,
  FraudAlert,
  fraudUserActivityRow,
  PgColumnType,
  TopicNames,
} from '@clickstream/contracts';
import { GlobalStage, StageMessage } from '@clickstream/streams';
import { FraudHooks } from './nodes/fraud-hooks';
import { evaluateOutlierWindow, UserCount } from './rules/outlier-activity';
import { configSource, FraudConfig, FraudConfigSource } from './rules/rule-config';

export const OUTLIER_STAGE = 'fraud-outlier-activity';
/** Windows evaluated per run at most (a replay of old data can make many final at once). */
export const OUTLIER_MAX_WINDOWS_PER_RUN = 24;

export interface OutlierStageOptions extends FraudHooks {
  topics: Pick<TopicNames, 'events' | 'alerts'>;
  /** Read on every run: a runtime change of the rule applies from the next window evaluated. */
  cfg: FraudConfig | FraudConfigSource;
  /** How often the owner of events partition 0 runs the stage (default: the runtime's 1 s). */
  intervalMs?: number;
  maxWindowsPerRun?: number;
}

/** One user's total in one final window, summed over the partitions' rows. */
export interface WindowUserCount extends UserCount {
  window_start: number;
}

/**
 * outlier_activity (SPEC §7) across partitions: once the global watermark of the events topic
 * (SPEC §4) has passed the end of an outlier window, every partition has committed its final
 * per-user counts of it to fraud_user_activity (a partition commits its rows with the watermark
 * that says so, in one transaction, and accepts no event of the window after that). Each run:
 *
 *  1. DELETE the rows of the final windows (window_start + size <= watermark, oldest first, at most
 *     `maxWindowsPerRun` windows) RETURNING them, summed per (window_start, user_id): reading and
 *     deleting is one statement, so no row committed in between is deleted unread.
 *  2. evaluateOutlierWindow per window.
 *  3. INSERT the alerts into `alerts` (ON CONFLICT (alert_id) DO NOTHING RETURNING alert_id).
 *  4. Return the inserted alerts as messages to clickstream.alerts.v1 keyed by user_id.
 *
 * Why each window is evaluated and published exactly once, with any number of instances and crashes:
 * the runtime runs the stage only in the owner of events partition 0, inside ONE Postgres
 * transaction that first updates the stage's row of stream_offsets WHERE epoch = the owner's epoch.
 * That row lock serialises concurrent runners (two instances during a rebalance), and a new owner's
 * claim bumps the epoch, so a zombie's run fails the fence and rolls back. The deleted rows, the
 * alert rows and the outbox rows (the returned messages) commit together or not at all: a crash
 * before COMMIT leaves the rows for the next owner, which evaluates the same counts into the same
 * alert_ids; after COMMIT the rows are gone, and the outbox is published in a Kafka transaction whose
 * checkpoint the next owner resumes from. We chose this over
 *  - a Postgres advisory lock: it only excludes runs that overlap in time. It is tied to a database
 *    session, not to the Kafka ownership that fences the publishing producer, so a runner that lost
 *    partition 0 but not its connection could still run after the new owner, and the outbox sequence
 *    numbers of two runners would collide. The epoch fence is the same identity for both sides.
 *  - a single-partition topic of per-user counts read by one consumer: an extra topic on the hot
 *    path (one record per event), a single consumer for all users, and that consumer still needs the
 *    same state/offset/outbox transaction to be exactly once. The counts are in Postgres already.
 * Only inserted alerts are published: should rows of an evaluated window ever come back (an idle
 * partition, which SPEC §4 lets the global watermark pass, waking up with old events), they are
 * evaluated on their own, and an alert_id already raised is neither stored nor published again.
 */
export function outlierStage(o: OutlierStageOptions): GlobalStage {
  const current = configSource(o.cfg);
  const maxWindows = o.maxWindowsPerRun ?? OUTLIER_MAX_WINDOWS_PER_RUN;
  return {
    name: OUTLIER_STAGE,
    topic: o.topics.events,
    intervalMs: o.intervalMs,
    // Due when a final window has rows to evaluate (the run's DELETE would find some).
    async due({ db, globalWatermark }) {
      // Final windows are taken even while the rule is disabled, so their rows do not pile up.
      if (globalWatermark === null) return false;
      const rule = current().rules.outlier_activity;
      const { rows } = await db.query(
        `SELECT 1 FROM ${fraudUserActivityRow.table} WHERE window_start <= to_timestamp($1 / 1000.0) LIMIT 1`,
        [globalWatermark - rule.windowMs],
      );
      return rows.length > 0;
    },
    async run({ client, globalWatermark, now }) {
      if (globalWatermark === null) return [];
      const cfg = current();
      const rule = cfg.rules.outlier_activity;
      const lastStart = globalWatermark - rule.windowMs;
      const rows = await takeFinalWindows(client, { lastStart, maxWindows });
      if (rows.length === 0) return [];
      const alerts: FraudAlert[] = [];
      for (const [start, counts] of byWindow(rows)) {
        if (rule.enabled)
          for (let i = 0; i < counts.length; i++) o.onEvaluate?.('outlier_activity');
        alerts.push(...evaluateOutlierWindow(counts, start, start + rule.windowMs, cfg, now));
      }
      const inserted = await insertAlerts(client, alerts);
      const out: StageMessage[] = [];
      for (const alert of alerts) {
        if (!inserted.has(alert.alert_id)) continue;
        // The input that completed the alert is the window's end (the watermark passing it).
        o.onAlert?.(alert, now - Date.parse(alert.window_end));
        out.push({ topic: o.topics.alerts, key: alertKey(alert), value: JSON.stringify(alert) });
      }
      return out;
    },
  };
}

/**
 * Deletes and returns the rows of the oldest final windows (start <= lastStart, at most maxWindows
 * of them), summed per user. Named, as both bounds are numbers.
 */
export async function takeFinalWindows(
  client: PoolClient,
  { lastStart, maxWindows }: { lastStart: number; maxWindows: number },
): Promise<WindowUserCount[]> {
  const { rows } = await client.query<{ start_ms: string; user_id: string; events: string }>(
    `WITH due AS (
       SELECT DISTINCT window_start FROM ${fraudUserActivityRow.table}
        WHERE window_start <= to_timestamp($1 / 1000.0)
        ORDER BY window_start LIMIT $2
     ), gone AS (
       DELETE FROM ${fraudUserActivityRow.table} a USING due WHERE a.window_start = due.window_start
       RETURNING a.window_start, a.user_id, a.events
     )
     SELECT (extract(epoch FROM window_start) * 1000)::bigint AS start_ms, user_id, sum(events)::bigint AS events
       FROM gone GROUP BY window_start, user_id ORDER BY start_ms, user_id`,
    [lastStart, maxWindows],
  );
  return rows.map((r) => ({
    window_start: Number(r.start_ms),
    user_id: r.user_id,
    events: Number(r.events),
  }));
}

/** Rows (ordered by window) grouped per window start, in order. */
export function byWindow(rows: readonly WindowUserCount[]): Map<number, UserCount[]> {
  const out = new Map<number, UserCount[]>();
  for (const r of rows) {
    const list = out.get(r.window_start) ?? [];
    list.push({ user_id: r.user_id, events: r.events });
    out.set(r.window_start, list);
  }
  return out;
}

/** The alerts table's columns in table order, from the contract the table sinks write too. */
const ALERT_COLUMNS = Object.entries(alertRow.columnTypes) as Array<[keyof AlertRow, PgColumnType]>;
const ALERT_COLUMN_NAMES = ALERT_COLUMNS.map(([name]) => name).join(', ');

/**
 * One array parameter per column through unnest; jsonb travels as JSON text (unnest would take
 * the JSON apart) and is cast back in the SELECT.
 */
const INSERT_ALERTS_SQL = `INSERT INTO ${alertRow.table} (${ALERT_COLUMN_NAMES})
     SELECT ${ALERT_COLUMNS.map(([name, type]) => (type === 'jsonb' ? `u.${name}::jsonb` : `u.${name}`)).join(', ')}
       FROM unnest(${ALERT_COLUMNS.map(([, type], i) => `$${i + 1}::${type === 'jsonb' ? 'text' : type}[]`).join(', ')})
            AS u(${ALERT_COLUMN_NAMES})
     ON CONFLICT (${alertRow.primaryKey.join(', ')}) DO NOTHING
     RETURNING alert_id`;

/** Inserts the alerts in one parameterised statement; returns the alert_ids that were new. */
export async function insertAlerts(
  client: PoolClient,
  alerts: readonly AlertRow[],
): Promise<Set<string>> {
  if (alerts.length === 0) return new Set();
  const params = ALERT_COLUMNS.map(([name, type]) =>
    alerts.map((a) => (type === 'jsonb' ? JSON.stringify(a[name]) : a[name])),
  );
  const { rows } = await client.query<{ alert_id: string }>(INSERT_ALERTS_SQL, params);
  return new Set(rows.map((r) => r.alert_id));
}
