import {
  ClickEvent,
  EventType,
  ProductHourAggregateRow,
  purchaseCents,
  WindowAggregateRow,
} from '@clickstream/contracts';
import { WindowedResult } from '@clickstream/streams';
import { UniqueUsers } from './unique-users';

/** What the window aggregates need of an event (SPEC §6). */
export interface WindowEvent {
  user: string;
  type: EventType;
  /** price × quantity in cents for a purchase with a price: exact sums, no float drift. */
  cents: number;
  product?: string;
}

/** One partition's partial of one window and dimension. */
export interface WindowAggregate {
  events: number;
  purchases: number;
  cents: number;
  views: number;
  carts: number;
  users: UniqueUsers;
}

/** One partition's partial of one product in one 1 h window. */
export interface ProductAggregate {
  views: number;
  carts: number;
  purchases: number;
  cents: number;
}

export const ALL = 'all';

export function toWindowEvent(e: ClickEvent): WindowEvent {
  const priced = e.event_type === 'purchase' && e.price !== undefined;
  const out: WindowEvent = {
    user: e.user_id,
    type: e.event_type,
    cents: priced ? purchaseCents(e) : 0,
  };
  if (e.product_id !== undefined) out.product = e.product_id;
  return out;
}

/** Each event counts in `all` and in its own event_type dimension. */
export const dimensionsOf = (e: WindowEvent): string[] => [ALL, e.type];

export const initialWindow = (): WindowAggregate => ({
  events: 0,
  purchases: 0,
  cents: 0,
  views: 0,
  carts: 0,
  users: UniqueUsers.empty(),
});

/** Counters are copied (the task's undo log keeps the previous object); the user set is idempotent. */
export function addToWindow(agg: WindowAggregate, e: WindowEvent): WindowAggregate {
  const users = UniqueUsers.revive(agg.users);
  users.add(e.user);
  return {
    events: agg.events + 1,
    purchases: agg.purchases + (e.type === 'purchase' ? 1 : 0),
    cents: agg.cents + e.cents,
    views: agg.views + (e.type === 'view' ? 1 : 0),
    carts: agg.carts + (e.type === 'cart' ? 1 : 0),
    users,
  };
}

/** Product rows count the funnel's product events only. */
export const countsForProduct = (e: WindowEvent): boolean =>
  e.product !== undefined && (e.type === 'view' || e.type === 'cart' || e.type === 'purchase');

export const initialProduct = (): ProductAggregate => ({
  views: 0,
  carts: 0,
  purchases: 0,
  cents: 0,
});

export function addToProduct(agg: ProductAggregate, e: WindowEvent): ProductAggregate {
  return {
    views: agg.views + (e.type === 'view' ? 1 : 0),
    carts: agg.carts + (e.type === 'cart' ? 1 : 0),
    purchases: agg.purchases + (e.type === 'purchase' ? 1 : 0),
    cents: agg.cents + e.cents,
  };
}

/** purchases / views; 0 (never NaN) when there were no views. */
export const conversionRate = (purchases: number, views: number): number =>
  views > 0 ? purchases / views : 0;

/** `1m`, `5m`, `1h`: the label the API and the aggregates topic use for a window size. */
export function sizeLabel(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${ms / 1000}s`;
}

/** The per-partition partial row of window_aggregates (the contract's windowAggregateRow). */
export function windowRow(
  size: string,
  r: WindowedResult<WindowAggregate>,
  partition: number,
): WindowAggregateRow {
  const a = r.value;
  return {
    window_size: size,
    dimension: r.key,
    window_start: new Date(r.window.start).toISOString(),
    partition,
    window_end: new Date(r.window.end).toISOString(),
    events: a.events,
    unique_users: UniqueUsers.revive(a.users).count(),
    purchases: a.purchases,
    revenue: (a.cents / 100).toFixed(2),
    views: a.views,
    carts: a.carts,
  };
}

/** The per-partition partial row of product_hour_aggregates (the contract's productHourAggregateRow). */
export function productRow(
  r: WindowedResult<ProductAggregate>,
  partition: number,
): ProductHourAggregateRow {
  return {
    window_start: new Date(r.window.start).toISOString(),
    product_id: r.key,
    partition,
    views: r.value.views,
    carts: r.value.carts,
    purchases: r.value.purchases,
    revenue: (r.value.cents / 100).toFixed(2),
  };
}
