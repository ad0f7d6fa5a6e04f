import { ClickEvent } from '@clickstream/contracts';

const MIN = 60_000;

export interface RefWindow {
  size: string;
  dimension: string;
  start: number;
  events: number;
  purchases: number;
  cents: number;
  views: number;
  carts: number;
  users: Set<string>;
}

export const SIZES: Array<[string, number]> = [
  ['1m', MIN],
  ['5m', 5 * MIN],
  ['1h', 60 * MIN],
];

/** The straightforward reference for SPEC §6: group every event by window and dimension. */
export function referenceWindows(events: ClickEvent[]): Map<string, RefWindow> {
  const out = new Map<string, RefWindow>();
  for (const e of events) {
    const t = Date.parse(e.event_time);
    const cents =
      e.event_type === 'purchase' && e.price !== undefined
        ? Math.round(e.price * 100) * (e.quantity ?? 1)
        : 0;
    for (const [size, ms] of SIZES) {
      const start = Math.floor(t / ms) * ms;
      for (const dimension of ['all', e.event_type]) {
        const k = windowKey(size, dimension, start);
        const w = out.get(k) ?? {
          size,
          dimension,
          start,
          events: 0,
          purchases: 0,
          cents: 0,
          views: 0,
          carts: 0,
          users: new Set<string>(),
        };
        w.events++;
        w.cents += cents;
        if (e.event_type === 'purchase') w.purchases++;
        if (e.event_type === 'view') w.views++;
        if (e.event_type === 'cart') w.carts++;
        w.users.add(e.user_id);
        out.set(k, w);
      }
    }
  }
  return out;
}

export const windowKey = (size: string, dimension: string, start: number) =>
  `${size}|${dimension}|${new Date(start).toISOString()}`;

/** The empty `all` minutes SPEC §6 publishes: up to `max` minutes after each minute with events. */
export function emptyMinutes(windows: Map<string, RefWindow>, max = 60): number[] {
  const active = [...windows.values()]
    .filter((w) => w.size === '1m' && w.dimension === 'all')
    .map((w) => w.start)
    .sort((a, b) => a - b);
  const set = new Set(active);
  const out: number[] = [];
  for (const a of active) {
    for (let m = a + MIN; m <= a + max * MIN && !set.has(m); m += MIN) out.push(m);
  }
  return [...new Set(out)];
}

export const conversion = (purchases: number, views: number) => (views > 0 ? purchases / views : 0);
