import {
  ClickEvent,
  productHourAggregateRow,
  TopicNames,
  windowAggregateRow,
} from '@clickstream/contracts';
import { KStream, Topology, TopologyBuilder, TumblingWindows } from '@clickstream/streams';
import { clickEventSource } from '@clickstream/platform';
import {
  addToProduct,
  addToWindow,
  countsForProduct,
  dimensionsOf,
  initialProduct,
  initialWindow,
  productRow,
  sizeLabel,
  toWindowEvent,
  WindowEvent,
  windowRow,
} from './window-aggregate';

export const AGGREGATOR_APP_ID = 'clickstream-aggregator';
export const PRODUCT_WINDOW_MS = 3_600_000;

export interface AggregatorTopologyOptions {
  topics: TopicNames;
  /** Tumbling window sizes in ms (SPEC §6: 1 min, 5 min, 1 h). */
  windowSizesMs: number[];
  applicationId?: string;
  /** Drop retried events by event_id for this long behind the watermark; 0 or unset: no dedupe. */
  dedupeHorizonMs?: number;
  /** Called with each window size label and event count it folds in (metrics); must not throw. */
  onEvent?: (size: string) => void;
}

/**
 * clickstream.events.v1 → per-partition partial window aggregates (SPEC §6).
 * Every window of every size and dimension (`all` and the event type) is upserted to
 * window_aggregates as this partition's partial row on every commit; per 1 h window and product
 * to product_hour_aggregates. A partition owns its users, so partials add up: readers merge them
 * with SUM ... GROUP BY, and the finaliser (window-finaliser.ts) publishes each window once when
 * the global watermark passes it. Nothing here depends on the number of partitions.
 */
export function aggregatorTopology(o: AggregatorTopologyOptions): Topology {
  const b = new TopologyBuilder(o.applicationId ?? AGGREGATOR_APP_ID);
  const events = b
    .stream<ClickEvent>(o.topics.events, clickEventSource('aggregator-dedupe', o.dedupeHorizonMs))
    .map<WindowEvent>('aggregator-compact-event', toWindowEvent);

  const byDimension = events.flatMap<WindowEvent>('aggregator-dimensions', (e, rec) =>
    dimensionsOf(e).map((d) => ({ ...rec, key: d, value: e })),
  );
  for (const ms of o.windowSizesMs) windowsOf(byDimension, ms, o.onEvent);

  events
    .filter('aggregator-product-events', countsForProduct)
    .windowedAggregate('aggregator-product-window-1h', {
      window: TumblingWindows.of(PRODUCT_WINDOW_MS),
      groupKey: (e) => e.product!,
      initializer: initialProduct,
      aggregator: addToProduct,
      emit: 'update',
    })
    .toTable('aggregator-product-1h-table', {
      table: productHourAggregateRow.table,
      columns: productHourAggregateRow.columnTypes,
      primaryKey: [...productHourAggregateRow.primaryKey],
      rowKey: (r) => `${r.value.window.start}|${r.value.key}`,
      row: (r, at) => productRow(r.value, at.partition),
    });

  return b.build();
}

function windowsOf(
  stream: KStream<WindowEvent>,
  ms: number,
  onEvent?: (size: string) => void,
): void {
  const size = sizeLabel(ms);
  stream
    .windowedAggregate(`aggregator-window-${size}`, {
      window: TumblingWindows.of(ms),
      initializer: initialWindow,
      aggregator: (agg, e, rec) => {
        if (rec.key === 'all') onEvent?.(size);
        return addToWindow(agg, e);
      },
      emit: 'update',
    })
    .toTable(`aggregator-window-${size}-table`, {
      table: windowAggregateRow.table,
      columns: windowAggregateRow.columnTypes,
      primaryKey: [...windowAggregateRow.primaryKey],
      rowKey: (r) => `${r.value.window.start}|${r.value.key}`,
      row: (r, at) => windowRow(size, r.value, at.partition),
    });
}
