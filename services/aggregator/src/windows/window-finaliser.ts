import { PoolClient } from 'pg';
import {
  AggregateRecord,
  aggregateKey,
  TopicNames,
  WINDOW_SUMMED_COLUMNS,
  WINDOW_SUMS_SQL,
  windowAggregateRow,
  WindowAggregateRow,
  WindowSummedColumn,
  WindowSums,
} from '@clickstream/contracts';
import { alignDown, GlobalStage, StageMessage } from '@clickstream/streams';
import { ALL, conversionRate, sizeLabel } from './window-aggregate';

export const FINALISER_STAGE = 'aggregator-finaliser';
const MINUTE_MS = 60_000;

export interface WindowFinaliserOptions {
  topics: TopicNames;
  windowSizesMs: number[];
  /** Empty `all` 1 min windows are published up to this many minutes after the last one with events. */
  emptyMinutesMax: number;
  /** Called with each size label and how many windows became final (metrics); must not throw. */
  onFinal?: (size: string, windows: number) => void;
}

/** A window's partials merged over partitions, as node-postgres returns them. */
type MergedRow = WindowSums & { start_ms: string; dimension: string };

/**
 * Publishes each window once, when the global watermark (SPEC §4) has passed its end: the merged
 * partial rows of every partition (their sum: a partition owns its users), keyed
 * `<size>:<dimension>` so one consumer partition sees a size and dimension in time order.
 * The `all` 1 min window is published for every minute, 0 for a minute without events, but only
 * up to `emptyMinutesMax` minutes after the last minute with events, so a watermark that jumps
 * (a replay of old data) does not flood the topic. Progress per size is `aggregate_progress`,
 * written in the same transaction as the outbox, so each window is published exactly once.
 */
export function windowFinaliser(o: WindowFinaliserOptions): GlobalStage {
  return {
    name: FINALISER_STAGE,
    topic: o.topics.events,
    // Due when some size has a window end the watermark passed that is not final yet (as finalUntil
    // reads it: the progress row, else the first window with data).
    async due({ db, globalWatermark }) {
      if (globalWatermark === null) return false;
      const sizes = o.windowSizesMs.map(sizeLabel);
      const { rows } = await db.query<{ ms: string | null }>(
        `SELECT (extract(epoch FROM COALESCE(p.final_until,
                   (SELECT min(w.window_start) FROM window_aggregates w WHERE w.window_size = s.size))) * 1000)::bigint AS ms
           FROM unnest($1::text[]) WITH ORDINALITY AS s(size, i)
           LEFT JOIN aggregate_progress p ON p.window_size = s.size
          ORDER BY s.i`,
        [sizes],
      );
      return o.windowSizesMs.some(
        (ms, i) => rows[i].ms !== null && alignDown(globalWatermark, ms) > Number(rows[i].ms),
      );
    },
    async run({ client, globalWatermark }) {
      if (globalWatermark === null) return [];
      const records: AggregateRecord[] = [];
      for (const ms of o.windowSizesMs)
        records.push(...(await finaliseSize(client, o, ms, globalWatermark)));
      // In window-end order across sizes: a step covering minutes would otherwise publish every
      // 1 min window before the 5 min and 1 h ones, which a consumer of the topic (the
      // fraud-detector) then sees minutes behind its watermark, as late.
      records.sort(publishOrder);
      return records.map((v): StageMessage => ({
        topic: o.topics.aggregates,
        key: aggregateKey(v),
        value: JSON.stringify(v),
      }));
    },
  };
}

/** By window end, then the shorter window, then start and dimension. */
function publishOrder(a: AggregateRecord, b: AggregateRecord): number {
  return (
    a.window_end.localeCompare(b.window_end) ||
    b.window_start.localeCompare(a.window_start) ||
    a.dimension.localeCompare(b.dimension)
  );
}

async function finaliseSize(
  client: PoolClient,
  o: WindowFinaliserOptions,
  ms: number,
  watermark: number,
): Promise<AggregateRecord[]> {
  const size = sizeLabel(ms);
  const from = await finalUntil(client, size);
  if (from === null) return [];
  // A window is final when the watermark has reached its end.
  const until = alignDown(watermark, ms);
  if (until <= from) return [];
  const rows = await merged(client, size, from, until - ms);
  const records = rows.map((r) => record(size, ms, Number(r.start_ms), r.dimension, sumsOf(r)));
  if (ms === MINUTE_MS) records.push(...(await emptyMinutes(client, o, size, from, until, rows)));
  await client.query(
    `INSERT INTO aggregate_progress (window_size, final_until) VALUES ($1, to_timestamp($2 / 1000.0))
     ON CONFLICT (window_size) DO UPDATE SET final_until = EXCLUDED.final_until, updated_at = now()`,
    [size, until],
  );
  if (records.length) o.onFinal?.(size, records.length);
  return records;
}

/** Where this size's final windows end; the first window with data when none is final yet. */
async function finalUntil(client: PoolClient, size: string): Promise<number | null> {
  const progress = await client.query<{ ms: string }>(
    `SELECT (extract(epoch FROM final_until) * 1000)::bigint AS ms FROM aggregate_progress WHERE window_size = $1 FOR UPDATE`,
    [size],
  );
  if (progress.rows.length) return Number(progress.rows[0].ms);
  const first = await client.query<{ ms: string | null }>(
    `SELECT (extract(epoch FROM min(window_start)) * 1000)::bigint AS ms FROM window_aggregates WHERE window_size = $1`,
    [size],
  );
  return first.rows[0].ms === null ? null : Number(first.rows[0].ms);
}

/** One row per window start in [from, lastStart] and dimension: the sum of every partition's partial. */
async function merged(
  client: PoolClient,
  size: string,
  from: number,
  lastStart: number,
): Promise<MergedRow[]> {
  const { rows } = await client.query<MergedRow>(
    `SELECT (extract(epoch FROM window_start) * 1000)::bigint AS start_ms, dimension, ${WINDOW_SUMS_SQL}
       FROM window_aggregates
      WHERE window_size = $1 AND window_start >= to_timestamp($2 / 1000.0) AND window_start <= to_timestamp($3 / 1000.0)
        AND partition >= 0
      GROUP BY window_start, dimension`,
    [size, from, lastStart],
  );
  return rows;
}

type Sums = Record<WindowSummedColumn, number>;
const ZERO_SUMS = Object.fromEntries(WINDOW_SUMMED_COLUMNS.map((c) => [c, 0])) as Sums;
const sumsOf = (r: WindowSums) =>
  Object.fromEntries(WINDOW_SUMMED_COLUMNS.map((c) => [c, Number(r[c])])) as Sums;

/** The final record of a window [start, start + ms) and dimension with these sums. */
function record(
  size: string,
  ms: number,
  start: number,
  dimension: string,
  sums: Sums,
): AggregateRecord {
  return {
    window_size: size,
    window_start: new Date(start).toISOString(),
    window_end: new Date(start + ms).toISOString(),
    dimension,
    ...sums,
    conversion_rate: conversionRate(sums.purchases, sums.views),
    final: true,
  };
}

/**
 * The zero row of an empty minute, column by column as SQL ($1 size, $2 dimension, $4 the minute
 * in ms, s each start from $3): keyed by the contract's row, so a column added to it is a type
 * error here rather than a row the finaliser leaves short.
 */
const EMPTY_MINUTE_VALUES: Record<keyof WindowAggregateRow, string> = {
  window_size: '$1',
  dimension: '$2',
  window_start: 'to_timestamp(s / 1000.0)',
  partition: '-1',
  window_end: 'to_timestamp((s + $4) / 1000.0)',
  events: '0',
  unique_users: '0',
  purchases: '0',
  revenue: '0',
  views: '0',
  carts: '0',
};
const EMPTY_MINUTE_COLUMNS = Object.keys(windowAggregateRow.columnTypes) as Array<
  keyof WindowAggregateRow
>;
const INSERT_EMPTY_MINUTES = `INSERT INTO ${windowAggregateRow.table} (${EMPTY_MINUTE_COLUMNS.join(', ')})
     SELECT ${EMPTY_MINUTE_COLUMNS.map((c) => EMPTY_MINUTE_VALUES[c]).join(', ')} FROM unnest($3::bigint[]) AS s
     ON CONFLICT DO NOTHING`;

/**
 * The empty `all` minutes in [from, until) to publish: those within `emptyMinutesMax` after a minute
 * with events. Each is also stored as a zero row (partition -1), so the API shows what was published.
 */
async function emptyMinutes(
  client: PoolClient,
  o: WindowFinaliserOptions,
  size: string,
  from: number,
  until: number,
  rows: MergedRow[],
): Promise<AggregateRecord[]> {
  const active = rows.filter((r) => r.dimension === ALL).map((r) => Number(r.start_ms));
  const before = await client.query<{ ms: string | null }>(
    `SELECT (extract(epoch FROM max(window_start)) * 1000)::bigint AS ms FROM window_aggregates
      WHERE window_size = $1 AND dimension = $2 AND window_start < to_timestamp($3 / 1000.0) AND partition >= 0`,
    [size, ALL, from],
  );
  const activeSet = new Set(active);
  const horizon = o.emptyMinutesMax * MINUTE_MS;
  const empty: number[] = [];
  let last = before.rows[0].ms === null ? null : Number(before.rows[0].ms);
  for (let m = from; m < until;) {
    if (activeSet.has(m)) {
      last = m;
      m += MINUTE_MS;
      continue;
    }
    if (last !== null && m - last <= horizon) {
      empty.push(m);
      m += MINUTE_MS;
      continue;
    }
    // Past the horizon: jump to the next minute with events instead of walking every minute.
    const next = active.filter((a) => a > m).reduce((a, b) => Math.min(a, b), Infinity);
    if (next === Infinity) break;
    m = next;
  }
  if (empty.length === 0) return [];
  await client.query(INSERT_EMPTY_MINUTES, [size, ALL, empty, MINUTE_MS]);
  return empty.map((start) => record(size, MINUTE_MS, start, ALL, ZERO_SUMS));
}
