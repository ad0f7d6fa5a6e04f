import { DedupeEntry, DedupeIndex, dedupeEntries } from './dedupe';
import { DedupeFilter } from './dedupe-filter';

const HOUR = 3_600_000;
const idsFrom = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, i) => `${prefix}-${i}`);

describe('DedupeFilter', () => {
  it('says "maybe" to every id until loaded, then rules out ids never added', () => {
    const filter = new DedupeFilter(HOUR, 1 << 20);
    filter.add('a', 1_000);
    expect(filter.mightContain('never-added')).toBe(true);
    filter.loaded();
    expect(filter.status).toBe('ready');
    expect(filter.mightContain('a')).toBe(true);
    const ruledOut = idsFrom('other', 10_000).filter((id) => !filter.mightContain(id)).length;
    expect(ruledOut).toBeGreaterThan(9_800);
    expect(filter.spared).toBe(ruledOut);
  });

  it('grows a chain of filters without a false "no", about 1 % false "maybe"', () => {
    const filter = new DedupeFilter(HOUR, 64 << 20);
    filter.loaded();
    const added = idsFrom('in', 300_000);
    for (const id of added) filter.add(id, 5_000);
    expect(added.filter((id) => !filter.mightContain(id))).toEqual([]);
    // 64k, 128k, 256k ids: three filters of 9.6 bits per id.
    expect(filter.bytes).toBeGreaterThan(((448 * 1024 * 9.6) / 8) * 0.99);
    const falseMaybes = idsFrom('out', 20_000).filter((id) => filter.mightContain(id)).length;
    expect(falseMaybes / 20_000).toBeLessThan(0.04);
  });

  it('drops a slice only when the store holds nothing below its end, and sizes the next slice by it', () => {
    const filter = new DedupeFilter(HOUR, 64 << 20); // slices of 30 minutes
    filter.loaded();
    const early = idsFrom('early', 100_000); // slice [0, 30 min)
    for (const id of early) filter.add(id, 60_000);
    filter.add('late', 40 * 60_000); // slice [30, 60 min)
    filter.forgetBelow(29 * 60_000);
    expect(early.every((id) => filter.mightContain(id))).toBe(true);
    const before = filter.bytes;
    filter.forgetBelow(30 * 60_000);
    expect(filter.bytes).toBeLessThan(before);
    expect(early.filter((id) => filter.mightContain(id)).length).toBeLessThan(2_000);
    expect(filter.mightContain('late')).toBe(true);
    // The next new slice starts sized for the 100k ids the dropped one took: one filter.
    const next = filter.bytes;
    filter.add('next', 70 * 60_000);
    expect(filter.bytes - next).toBeGreaterThanOrEqual(Math.floor((100_000 * 9.6) / 8));
  });

  it('past its memory limit says "maybe" to every id for good and frees its filters', () => {
    const filter = new DedupeFilter(HOUR, 240_000); // room for the 64k and 128k filters (236 KB) only
    filter.loaded();
    for (const id of idsFrom('in', 64 * 1024 + 128 * 1024)) filter.add(id, 1_000);
    expect(filter.status).toBe('ready');
    filter.add('one-too-many', 1_000);
    expect(filter.status).toBe('saturated');
    expect(filter.bytes).toBe(0);
    expect(filter.mightContain('anything')).toBe(true);
    filter.forgetBelow(10 * HOUR);
    filter.add('x', 11 * HOUR);
    expect(filter.mightContain('anything')).toBe(true);
  });
});

describe('DedupeIndex with a filter', () => {
  const definition = { name: 'x', id: () => null, fingerprint: () => 0, horizonMs: 10_000 };

  it('looks up only ids the filter cannot rule out', () => {
    const filter = new DedupeFilter(definition.horizonMs, 1 << 20);
    filter.add('stored', 5_000); // as the load: a row the store holds
    filter.loaded();
    const index = new DedupeIndex(definition, filter);
    expect(index.unknown(['stored', 'new-1', 'new-2'])).toEqual(['stored']);
    index.learn([['stored', { fingerprint: 0, eventTime: 5_000 }]]);
    expect(index.judge('stored', 0, 5_000, null)).toEqual({ kind: 'duplicate' });
    expect(index.judge('new-1', 0, 6_000, null)).toEqual({ kind: 'first' });
    index.take(6_000);
    index.take(6_000);
    // new-1 is in the store now: the filter must not rule it out.
    expect(index.unknown(['new-1'])).toEqual(['new-1']);
  });

  it('as the runtime drives it (lookups, a commit in flight, eviction by a rising watermark), judges as without a filter and never inserts a stored id', () => {
    let seed = 11;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const filter = new DedupeFilter(definition.horizonMs, 1 << 20);
    filter.loaded();
    const runs = [new DedupeIndex(definition, filter), new DedupeIndex(definition)].map(
      (index) => ({
        index,
        table: new Map<string, DedupeEntry>(),
        inFlight: null as ReturnType<DedupeIndex['take']> | null,
        verdicts: [] as string[],
        refused: [] as string[],
      }),
    );
    let watermark = 0;
    for (let batch = 0; batch < 3_000; batch++) {
      const events = Array.from({ length: 1 + Math.floor(random() * 8) }, () => ({
        id: `id-${Math.floor(random() * 400)}`,
        // Mostly near the watermark, some late (below the floor) and some ahead of it.
        eventTime: Math.max(0, watermark - 12_000 + Math.floor(random() * 14_000)),
        fingerprint: random() < 0.05 ? 2 : 1,
      }));
      const commit = random() < 0.4;
      for (const run of runs) {
        const lookups = run.index.unknown(events.map((e) => e.id));
        run.index.learn(
          lookups.filter((id) => run.table.has(id)).map((id) => [id, run.table.get(id)!]),
        );
        for (const e of events) {
          const floor = watermark - definition.horizonMs;
          run.verdicts.push(run.index.judge(e.id, e.fingerprint, e.eventTime, floor).kind);
        }
        if (!commit) continue;
        // The commit taken before finishes first: its delete, then its inserts (one statement).
        const finished = run.inFlight;
        if (finished?.forgetBefore != null)
          for (const [id, entry] of run.table)
            if (entry.eventTime < finished.forgetBefore) run.table.delete(id);
        for (const [id, entry] of finished ? dedupeEntries(finished.remember) : []) {
          if (run.table.has(id)) run.refused.push(id);
          run.table.set(id, entry);
        }
        run.inFlight = run.index.take(watermark);
      }
      for (const e of events) watermark = Math.max(watermark, e.eventTime);
    }
    const [filtered, plain] = runs;
    expect(filtered.refused).toEqual([]);
    expect(filtered.verdicts).toEqual(plain.verdicts);
    expect(plain.verdicts.filter((v) => v === 'duplicate').length).toBeGreaterThan(1_000);
    expect(filter.spared).toBeGreaterThan(1_000);
  });
});
