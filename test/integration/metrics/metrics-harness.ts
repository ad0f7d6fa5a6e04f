import { Pool } from 'pg';
import { RunningService } from '../../support/services';

export interface ApiAnswer<T = unknown> {
  status: number;
  body: T;
}

export async function getJson<T = unknown>(
  svc: RunningService,
  path: string,
  key?: string,
): Promise<ApiAnswer<T>> {
  const res = await fetch(svc.url(path), { headers: key ? { 'x-api-key': key } : {} });
  return { status: res.status, body: (await res.json()) as T };
}

/** Every item of a paginated list, following next_cursor; fails on a repeated cursor. */
export async function allPages<T>(
  svc: RunningService,
  path: string,
  key: string,
  onPage?: (page: number) => Promise<void>,
): Promise<T[]> {
  const items: T[] = [];
  const seen = new Set<string>();
  let cursor: string | null = null;
  for (let page = 0; ; page++) {
    const sep = path.includes('?') ? '&' : '?';
    const url: string = cursor ? `${path}${sep}cursor=${encodeURIComponent(cursor)}` : path;
    const { status, body }: ApiAnswer<{ items: T[]; next_cursor: string | null }> = await getJson(
      svc,
      url,
      key,
    );
    if (status !== 200) throw new Error(`${url}: ${status} ${JSON.stringify(body)}`);
    items.push(...body.items);
    if (body.next_cursor === null) return items;
    if (seen.has(body.next_cursor)) throw new Error(`cursor repeated on ${path}`);
    seen.add(body.next_cursor);
    if (body.items.length === 0) throw new Error(`empty page with a next_cursor on ${path}`);
    cursor = body.next_cursor;
    await onPage?.(page);
  }
}

/** The value of a Prometheus sample with (at least) these labels, or undefined. */
export function sample(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

export const n = (v: string | number | null) => (v === null ? 0 : Number(v));
export const rate = (a: number, b: number) => (b > 0 ? a / b : 0);

/** What /v1/windows must answer, computed straight from the partial rows: SUM over partitions. */
export async function windowsBySql(
  pool: Pool,
  size: string,
  dimension: string,
  from: string,
  to: string,
): Promise<Array<Record<string, unknown>>> {
  const { rows } = await pool.query(
    `SELECT window_start, max(window_end) window_end, sum(events) events, sum(unique_users) unique_users, sum(purchases) purchases,
            sum(revenue) revenue, sum(views) views, sum(carts) carts,
            COALESCE(max(window_end) <= (SELECT final_until FROM aggregate_progress WHERE window_size = $1), false) AS final
       FROM window_aggregates WHERE window_size = $1 AND dimension = $2 AND window_start >= $3 AND window_start < $4
      GROUP BY window_start ORDER BY window_start`,
    [size, dimension, from, to],
  );
  return rows.map((r) => ({
    window_size: size,
    dimension,
    window_start: r.window_start.toISOString(),
    window_end: r.window_end.toISOString(),
    events: n(r.events),
    unique_users: n(r.unique_users),
    purchases: n(r.purchases),
    revenue: n(r.revenue),
    views: n(r.views),
    carts: n(r.carts),
    conversion_rate: rate(n(r.purchases), n(r.views)),
    final: r.final,
  }));
}
