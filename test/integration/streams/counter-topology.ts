import {
  KeyValueStore,
  mix32,
  Serdes,
  TableSinkDefinition,
  TopologyBuilder,
} from '@clickstream/streams';
import { countPerUserMinute } from '../../../bench/shared/windowed-count';

/** A tiny test topology (nothing about clickstreams): per-user counts in 1 min windows, and totals. */
export interface CountEvent {
  user: string;
  ts: number;
  n: number;
  /** Sentinels only advance the watermark; they are not counted. */
  sentinel?: boolean;
  boom?: boolean;
  /** An idempotency key: with `dedupeHorizonMs` set, a record with one is remembered and looked up. */
  id?: string;
}

export interface CounterTopics {
  input: string;
  output: string;
}

export const TOTALS_TABLE = 'test_counter_totals';
export const TOTALS_DDL = `CREATE TABLE IF NOT EXISTS ${TOTALS_TABLE} (
  app_id text NOT NULL, user_id text NOT NULL, events bigint NOT NULL, total bigint NOT NULL,
  PRIMARY KEY (app_id, user_id))`;

export function counterTopology(appId: string, topics: CounterTopics, dedupeHorizonMs?: number) {
  const b = new TopologyBuilder(appId);
  const counted = b
    .stream<CountEvent>(topics.input, {
      keySerde: Serdes.string(),
      valueSerde: Serdes.json<CountEvent>(),
      timestamp: (v) => v.ts,
      dedupe: dedupeHorizonMs
        ? {
            name: 'counter-dedupe',
            id: (v) => v.id ?? null,
            fingerprint: (v) => mix32(v.n),
            horizonMs: dedupeHorizonMs,
          }
        : undefined,
    })
    .filter('counter-drop-sentinels', (v) => !v.sentinel)
    .peek('counter-boom', (v) => {
      if (v.boom) throw new Error('boom requested by the record');
    });

  countPerUserMinute(counted, 'counter-window-1m', topics.output);

  counted
    .process<UserTotal>({
      name: 'counter-totals',
      stores: ['counter-totals-store'],
      create: (ctx) => {
        const store: KeyValueStore<{ events: number; total: number }> =
          ctx.store('counter-totals-store');
        return {
          process: (rec) => {
            const v = rec.value as CountEvent;
            const prev = store.get(v.user) ?? { events: 0, total: 0 };
            const next = { events: prev.events + 1, total: prev.total + v.n };
            store.put(v.user, next);
            ctx.forward({
              key: v.user,
              timestamp: rec.timestamp,
              value: { user: v.user, ...next },
            });
          },
        };
      },
    })
    .toTable('counter-totals-table', totalsTable(appId));

  return b.build();
}

/** A user's running count and sum, as the totals node forwards it. */
export interface UserTotal {
  user: string;
  events: number;
  total: number;
}

/** The totals' table sink: one row per app and user. */
export function totalsTable(appId: string): Omit<TableSinkDefinition<UserTotal>, 'kind' | 'name'> {
  return {
    table: TOTALS_TABLE,
    columns: { app_id: 'text', user_id: 'text', events: 'bigint', total: 'bigint' },
    primaryKey: ['app_id', 'user_id'],
    row: (r) => ({
      app_id: appId,
      user_id: r.value.user,
      events: r.value.events,
      total: r.value.total,
    }),
  };
}
