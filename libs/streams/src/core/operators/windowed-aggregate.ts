import { MinHeap } from '../min-heap';
import { NodeDefinition, Rec } from '../processor';
import { TimeWindow, WindowSpec, windowsFor } from '../windows';

export interface WindowedAggregateOptions<V, A> {
  window: WindowSpec;
  /** State store name; defaults to `<node name>-store`. */
  store?: string;
  /** Grouping key; defaults to the record key. */
  groupKey?: (value: V, rec: Rec<V>) => string;
  initializer: () => A;
  /** Pure: returns the new aggregate and leaves `agg` untouched. */
  aggregator: (agg: A, value: V, rec: Rec<V>) => A;
  /** 'update': every change (final=false) plus the final result; 'final': once, at close. */
  emit: 'update' | 'final';
}

export interface WindowedResult<A> {
  key: string;
  window: TimeWindow;
  value: A;
  final: boolean;
}

interface Stored<A> {
  k: string;
  s: number;
  e: number;
  a: A;
}

const storeKey = (key: string, start: number) => `${start}\u0001${key}`;

/** Tumbling or hopping windows over event time; a window closes when the watermark reaches its end. */
export function windowedAggregateNode<V, A>(
  name: string,
  o: WindowedAggregateOptions<V, A>,
): NodeDefinition {
  const storeName = o.store ?? `${name}-store`;
  return {
    name,
    stores: [storeName],
    create(ctx) {
      const store = ctx.store<Stored<A>>(storeName);
      // Window ends still open, each with its store keys: closing is a heap pop, not a scan.
      const byEnd = new Map<number, Set<string>>();
      const ends = new MinHeap<number>();
      const index = (end: number, sk: string) => {
        let set = byEnd.get(end);
        if (!set) {
          set = new Set();
          byEnd.set(end, set);
          ends.push(end, end);
        }
        set.add(sk);
      };
      for (const [sk, v] of store.entries()) index(v.e, sk);

      return {
        process(rec) {
          const value = rec.value as V;
          const key = o.groupKey ? o.groupKey(value, rec as Rec<V>) : (rec.key ?? '');
          const updates: Array<[string, Stored<A>]> = [];
          // Compute every window first: a throwing aggregator leaves no window half-updated.
          for (const w of windowsFor(o.window, rec.timestamp)) {
            const sk = storeKey(key, w.start);
            const prev = store.get(sk);
            const agg = o.aggregator(prev ? prev.a : o.initializer(), value, rec as Rec<V>);
            updates.push([sk, { k: key, s: w.start, e: w.end, a: agg }]);
          }
          for (const [sk, v] of updates) {
            store.put(sk, v);
            index(v.e, sk);
            if (o.emit === 'update') ctx.forward(result(v, false));
          }
        },
        /** After a failed step: the windows it put back are indexed again (extra entries are skipped at close). */
        restored(keys) {
          for (const sk of keys.get(storeName) ?? []) {
            const v = store.get(sk);
            if (v) index(v.e, sk);
          }
        },
        onWatermark(watermark) {
          for (let top = ends.peek(); top && top.p <= watermark; top = ends.peek()) {
            ends.pop();
            const end = top.p;
            const keys = byEnd.get(end);
            byEnd.delete(end);
            // Should the step fail, the end comes back with its keys.
            if (keys) ctx.onRollback(() => keys.forEach((sk) => index(end, sk)));
            for (const sk of [...(keys ?? [])].sort()) {
              const v = store.get(sk);
              if (!v) continue;
              store.delete(sk);
              ctx.forward(result(v, true));
            }
          }
        },
      };

      function result(v: Stored<A>, final: boolean): Rec<WindowedResult<A>> {
        return {
          key: v.k,
          timestamp: v.s,
          value: { key: v.k, window: { start: v.s, end: v.e }, value: v.a, final },
        };
      }
    },
  };
}
