import { StoredStateValue, storedStateValue } from './commit-sql';
import { EMPTY_STATE_LOG, replayStateLog, StateChangelog, StateWrite } from './state-changelog';
import { decodeStateLog } from './state-log-codec';

/** mulberry32: a seeded generator, so a failing case can be run again. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const asBytes = (v: StoredStateValue) => Buffer.from(typeof v === 'string' ? Buffer.from(v) : v);

/** Postgres as the commit statement leaves it: stream_state's rows and stream_state_log's. */
class FakeTables {
  readonly base = new Map<string, { store: string; key: string; value: Buffer }>();
  readonly log = new Map<number, Buffer>();

  apply(w: StateWrite): void {
    for (const [store, entries] of w.flush)
      for (const [key, value] of entries) {
        const id = `${store}/${key}`;
        if (value === undefined) this.base.delete(id);
        else this.base.set(id, { store, key, value: asBytes(value) });
      }
    // One statement: the delete does not see the row appended with it.
    if (w.deleteBelow !== null)
      for (const seq of this.log.keys()) if (seq < w.deleteBelow) this.log.delete(seq);
    if (w.append) {
      expect(this.log.has(w.append.seq)).toBe(false);
      if (w.deleteBelow !== null) expect(w.deleteBelow).toBeLessThanOrEqual(w.append.seq);
      this.log.set(w.append.seq, w.append.changes);
    }
  }

  replay() {
    const rows = [...this.log]
      .sort(([a], [b]) => a - b)
      .map(([seq, changes]) => ({ seq, changes }));
    return replayStateLog(this.base.values(), rows);
  }
}

/** The state a task holds, as stored values, per store. */
type Truth = Map<string, Map<string, Buffer>>;

function expectRestores(tables: FakeTables, truth: Truth): ReturnType<FakeTables['replay']> {
  const restored = tables.replay();
  const flat = (m: Map<string, Map<string, Buffer>>) =>
    Object.fromEntries(
      [...m].flatMap(([store, keys]) =>
        [...keys].map(([key, value]) => [`${store}/${key}`, value.toString('hex')]),
      ),
    );
  expect(flat(restored.stores)).toEqual(flat(truth));
  return restored;
}

describe('StateChangelog', () => {
  it.each([0, 1, 7, 40])(
    'restores exactly the committed state after every commit and reopen (flush after %i ms)',
    (flushAfterMs) => {
      for (let seed = 1; seed <= 25; seed++) {
        const random = seeded(seed * 1000 + flushAfterMs);
        const tables = new FakeTables();
        const truth: Truth = new Map();
        let now = 0;
        let log = new StateChangelog(flushAfterMs, EMPTY_STATE_LOG, now);
        for (let commit = 0; commit < 120; commit++) {
          now += Math.floor(random() * 4);
          // A clean close's last commit (some with changes of its own, as the close commits them too).
          const draining = random() < 0.05;
          if (draining) log.drain();
          const changes = new Map<string, Map<string, unknown>>();
          const count = Math.floor(random() * 6);
          for (let i = 0; i < count; i++) {
            const store = random() < 0.5 ? 'store-a' : 'store-b';
            const key = `k${Math.floor(random() * 12)}`;
            const roll = random();
            const value =
              roll < 0.2
                ? undefined
                : roll < 0.6
                  ? { n: commit, i }
                  : Buffer.from([0, commit & 255, i]);
            const entries = changes.get(store) ?? new Map<string, unknown>();
            entries.set(key, value);
            changes.set(store, entries);
          }
          tables.apply(log.write(changes, now));
          for (const [store, entries] of changes) {
            const held = truth.get(store) ?? new Map<string, Buffer>();
            for (const [key, value] of entries)
              if (value === undefined) held.delete(key);
              else held.set(key, asBytes(storedStateValue(value)));
            truth.set(store, held);
          }
          const restored = expectRestores(tables, truth);
          if (draining) expect([tables.log.size, log.waiting]).toEqual([0, 0]);
          // A crash (or a failed commit) now: the task goes on from what Postgres holds.
          if (random() < 0.15) log = new StateChangelog(flushAfterMs, restored.log, now);
        }
        // The log holds at most what waited flushAfterMs; with 0 it stays empty.
        if (flushAfterMs === 0) expect(tables.log.size).toBe(0);
      }
    },
  );

  it('writes each key to stream_state once per interval, with its latest value', () => {
    const log = new StateChangelog(10, EMPTY_STATE_LOG, 0);
    const writes: StateWrite[] = [];
    for (let t = 0; t <= 12; t++)
      writes.push(log.write(new Map([['s', new Map([['hot', { t }]])]]), t));
    const flushed = writes.map((w) => w.flush.get('s')?.get('hot')).filter((v) => v !== undefined);
    expect(flushed).toEqual(['{"t":10}']);
    // Nothing waits after that commit: it logs nothing and the ten rows before it go.
    expect(writes[10]).toMatchObject({ append: null, deleteBelow: 10 });
    expect(writes.filter((w) => w.append === null)).toHaveLength(1);
    expect(writes[12].append!.seq).toBe(11);
    expect(decodeStateLog(writes[12].append!.changes)).toEqual([
      { store: 's', key: 'hot', value: Buffer.from('{"t":12}') },
    ]);
  });

  it('drained, writes every waiting key to stream_state and deletes the whole log', () => {
    const log = new StateChangelog(60_000, EMPTY_STATE_LOG, 0);
    log.write(new Map([['s', new Map([['a', { v: 1 }]])]]), 0);
    log.write(new Map([['s', new Map<string, unknown>([['b', { v: 2 }]])]]), 1);
    expect(log.waiting).toBe(2);
    log.drain();
    const w = log.write(new Map(), 2);
    expect(w).toEqual({
      append: null,
      flush: new Map([
        [
          's',
          new Map([
            ['a', '{"v":1}'],
            ['b', '{"v":2}'],
          ]),
        ],
      ]),
      deleteBelow: 2,
    });
    expect(log.waiting).toBe(0);
    // Only that one write: the next keys wait again.
    expect(log.write(new Map([['s', new Map([['c', { v: 3 }]])]]), 3).append?.seq).toBe(2);
  });

  it('is due once its oldest waiting key has waited the interval', () => {
    const log = new StateChangelog(10, EMPTY_STATE_LOG, 0);
    expect(log.due(100)).toBe(false);
    log.write(new Map([['s', new Map([['a', { v: 1 }]])]]), 5);
    log.write(new Map([['s', new Map([['b', { v: 2 }]])]]), 8);
    expect([log.due(14), log.due(15)]).toEqual([false, true]);
    log.write(new Map(), 15);
    expect([log.waiting, log.due(17), log.due(18)]).toEqual([1, false, true]);
  });

  it('with 0 writes every change to stream_state and logs nothing', () => {
    const log = new StateChangelog(0, EMPTY_STATE_LOG, 0);
    const w = log.write(
      new Map([
        [
          's',
          new Map<string, unknown>([
            ['a', { x: 1 }],
            ['b', undefined],
          ]),
        ],
      ]),
      5,
    );
    expect(w).toEqual({
      append: null,
      flush: new Map([
        [
          's',
          new Map([
            ['a', '{"x":1}'],
            ['b', undefined],
          ]),
        ],
      ]),
      deleteBelow: null,
    });
  });

  it('refuses a value no layout can hold, as the commit would', () => {
    const log = new StateChangelog(10, EMPTY_STATE_LOG, 0);
    expect(() => log.write(new Map([['s', new Map([['k', Buffer.from([7])]])]]), 0)).toThrow(
      /must begin with 0x00/,
    );
  });
});
