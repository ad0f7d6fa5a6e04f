import type { ClickEvent } from './event.schema';

/**
 * An event's amount in cents: price × quantity, with the price rounded to cents first. Sums of
 * integers stay exact, so 10,000.00 never drifts to 10,000.000001 in a window, a session or a fraud
 * rule. 0 without a price. The one formula the sessionizer, aggregator and fraud-detector share.
 */
export function purchaseCents(event: Pick<ClickEvent, 'price' | 'quantity'>): number {
  if (event.price === undefined || event.price === null) return 0;
  return Math.round(event.price * 100) * (event.quantity ?? 1);
}
