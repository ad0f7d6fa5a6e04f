/**
 * Seeds the processors' result tables with synthetic rows, all in SQL (generate_series), for the
 * metrics query API's benchmark and integration tests. Values vary per window, dimension and
 * partition (hashes, not randomness), so sums over partitions are non-trivial and reproducible.
 */
import { Pool } from 'pg';
import { ALERT_RULES, EVENT_TYPES } from '@clickstream/contracts';

export interface SeedOptions {
  /** Exclusive end of the seeded day; aligned down to the hour. */
  end: Date;
  hours: number;
  partitions: number;
  products: number;
  sessions: number;
  alerts: number;
  /** Multiplies every window count (1: ~120 events per partition and minute). */
  scale?: number;
}

export const SEED_DIMENSIONS = ['all', ...EVENT_TYPES];
export const SEED_RULES = [...ALERT_RULES];
const SEVERITIES = ['medium', 'high', 'high', 'high', 'high', 'low', 'medium', 'high'];
const STAGES = ['none', 'view', 'cart', 'checkout', 'purchase'];

export function seedEnd(at: Date): Date {
  return new Date(Math.floor(at.getTime() / 3_600_000) * 3_600_000);
}

export async function seedMetricsData(pool: Pool, o: SeedOptions): Promise<void> {
  const end = seedEnd(o.end);
  const span = `${o.hours} hours`;
  await seedWindows(pool, end, span, o);
  await pool.query(
    `INSERT INTO aggregate_progress (window_size, final_until)
     VALUES ('1m', $1::timestamptz - interval '3 minutes'), ('5m', $1::timestamptz - interval '5 minutes'), ('1h', $1::timestamptz - interval '1 hour')
     ON CONFLICT (window_size) DO UPDATE SET final_until = EXCLUDED.final_until`,
    [end],
  );
  await pool.query(
    `INSERT INTO product_hour_aggregates (window_start, product_id, partition, views, carts, purchases, revenue)
     SELECT ws, 'prod-' || pr, p, h % 200, h % 40, h % 9, (h % 9) * ((pr % 300) + 0.99)
       FROM generate_series($1::timestamptz - $2::interval, $1::timestamptz - interval '1 hour', interval '1 hour') ws
      CROSS JOIN generate_series(1, $3::int) pr
      CROSS JOIN generate_series(0, $4::int - 1) p
      CROSS JOIN LATERAL (SELECT abs(hashtext(ws::text || pr || ':' || p)) AS h) x
     ON CONFLICT DO NOTHING`,
    [end, span, o.products, o.partitions],
  );
  await seedSessions(pool, end, o);
  await pool.query(
    `INSERT INTO alerts (alert_id, rule, severity, user_id, window_start, window_end, value, threshold, detected_at, evidence)
     SELECT rule || ':' || COALESCE(uid, '*') || ':' || ws, rule, sev, uid, ws, ws + interval '10 minutes', 60 + i % 50, 50, ws + interval '1 minute',
            jsonb_build_object('seed', i)
       FROM generate_series(1, $2::int) i
      CROSS JOIN LATERAL (SELECT ($3::text[])[1 + i % 8] AS rule, ($4::text[])[1 + i % 8] AS sev) r
      CROSS JOIN LATERAL (SELECT CASE WHEN r.rule LIKE 'traffic_%' THEN NULL ELSE 'user-' || (i % 997) END AS uid,
                                 date_bin(interval '1 minute', $1::timestamptz - $5::interval + (i * extract(epoch FROM $5::interval) / ($2::int + 1)) * interval '1 second', 'epoch') AS ws) k
     ON CONFLICT DO NOTHING`,
    [end, o.alerts, SEED_RULES, SEVERITIES, span],
  );
}

async function seedWindows(pool: Pool, end: Date, span: string, o: SeedOptions): Promise<void> {
  await pool.query(
    `INSERT INTO window_aggregates (window_size, dimension, window_start, partition, window_end, events, unique_users, purchases, revenue, views, carts)
     SELECT s.size, d.dim, ws, p, ws + s.len, e, greatest(1, e / 3), pu, pu * 42.5, vi, e / 10
       FROM (VALUES ('1m', interval '1 minute', 1), ('5m', interval '5 minutes', 5), ('1h', interval '1 hour', 60)) s(size, len, mult)
      CROSS JOIN LATERAL generate_series($1::timestamptz - $2::interval, $1::timestamptz - s.len, s.len) ws
      CROSS JOIN unnest($3::text[]) d(dim)
      CROSS JOIN generate_series(0, $4::int - 1) p
      CROSS JOIN LATERAL (SELECT abs(hashtext(s.size || d.dim || ws::text || ':' || p)) AS h) x
      CROSS JOIN LATERAL (SELECT s.mult * $5::int * (CASE WHEN d.dim = 'all' THEN 80 + x.h % 80 ELSE 5 + x.h % 20 END) AS e) c
      CROSS JOIN LATERAL (SELECT CASE WHEN d.dim IN ('all', 'purchase') THEN c.e / 40 ELSE 0 END AS pu,
                                 CASE WHEN d.dim IN ('all', 'view') THEN c.e / 3 ELSE 0 END AS vi) v`,
    [end, span, SEED_DIMENSIONS, o.partitions, o.scale ?? 1],
  );
  // The finaliser's zero rows (partition -1) of published minutes, here every 7th minute.
  await pool.query(
    `INSERT INTO window_aggregates (window_size, dimension, window_start, partition, window_end, events, unique_users, purchases, revenue, views, carts)
     SELECT '1m', 'all', ws, -1, ws + interval '1 minute', 0, 0, 0, 0, 0, 0
       FROM generate_series($1::timestamptz - $2::interval, $1::timestamptz - interval '1 minute', interval '7 minutes') ws`,
    [end, span],
  );
}

async function seedSessions(pool: Pool, end: Date, o: SeedOptions): Promise<void> {
  const users = Math.max(1, Math.floor(o.sessions / 3));
  await pool.query(
    `INSERT INTO sessions (session_id, user_id, started_at, last_event_at, duration_s, event_count, event_counts, revenue, funnel_stage,
                           converted, bounced, client_session_ids, status, closed_at)
     SELECT md5('s' || i), 'user-' || (i % $3::int), st, st + dur * interval '1 second', dur, n,
            jsonb_build_object('view', n), CASE WHEN stage = 'purchase' THEN (h % 500) + 0.99 ELSE 0 END, stage,
            stage = 'purchase', n = 1, ARRAY['c' || (i % 50)],
            CASE WHEN st >= $1::timestamptz - interval '30 minutes' THEN 'open' ELSE 'closed' END,
            CASE WHEN st >= $1::timestamptz - interval '30 minutes' THEN NULL ELSE st + (dur + 1800) * interval '1 second' END
       FROM generate_series(1, $2::int) i
      CROSS JOIN LATERAL (SELECT abs(hashtext('s' || i)) AS h) x
      CROSS JOIN LATERAL (SELECT $1::timestamptz - $5::interval + (i * extract(epoch FROM $5::interval) / ($2::int + 1)) * interval '1 second' AS st,
                                 1 + x.h % 20 AS n, (x.h % 1800)::double precision AS dur, ($4::text[])[1 + x.h % 5] AS stage) v
     ON CONFLICT DO NOTHING`,
    [end, o.sessions, users, STAGES, `${o.hours} hours`],
  );
}
