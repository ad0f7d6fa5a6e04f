import { ClickEvent } from '@clickstream/contracts';

const MIN = 60_000;

export interface RefSession {
  user: string;
  start: number;
  count: number;
  revenueCents: number;
}

/** The straightforward reference: sort each user's events, cut at ≥ 30 min gaps or ≥ 24 h length. */
export function referenceSessions(
  events: Array<{ user: string; t: number; cents: number }>,
): RefSession[] {
  const byUser = new Map<string, typeof events>();
  for (const e of events) byUser.set(e.user, [...(byUser.get(e.user) ?? []), e]);
  const out: RefSession[] = [];
  for (const [user, list] of byUser) {
    list.sort((a, b) => a.t - b.t);
    let cur: (RefSession & { last: number }) | undefined;
    for (const e of list) {
      if (!cur || e.t - cur.last >= 30 * MIN || e.t - cur.start >= 24 * 60 * MIN) {
        if (cur) out.push(cur);
        cur = { user, start: e.t, last: e.t, count: 0, revenueCents: 0 };
      }
      cur.count++;
      cur.last = e.t;
      cur.revenueCents += e.cents;
    }
    if (cur) out.push(cur);
  }
  return out.map(({ user, start, count, revenueCents }) => ({ user, start, count, revenueCents }));
}

/** A validated event as the reference needs it. */
export function refEvent(e: ClickEvent): { user: string; t: number; cents: number } {
  const cents =
    e.event_type === 'purchase' && e.price !== undefined
      ? Math.round(e.price * 100) * (e.quantity ?? 1)
      : 0;
  return { user: e.user_id, t: Date.parse(e.event_time), cents };
}

/** A reference session as one comparable line: user, start, event count, revenue in cents. */
export const refSessionLine = (s: RefSession): string =>
  `${s.user}@${s.start}#${s.count}$${s.revenueCents}`;

/** A stored `sessions` row as the same line, to compare sorted lists with the reference's. */
export const storedSessionLine = (r: {
  user_id: string;
  started_at: Date;
  event_count: number;
  revenue: string | number;
}): string =>
  `${r.user_id}@${r.started_at.getTime()}#${r.event_count}$${Math.round(Number(r.revenue) * 100)}`;
