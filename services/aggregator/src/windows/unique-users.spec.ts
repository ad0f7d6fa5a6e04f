import { EXACT_LIMIT, UniqueUsers } from './unique-users';

/** The textbook estimate read off the stored registers: a full scan, as the sketch did per count. */
function fullScanEstimate(u: UniqueUsers): number {
  const registers = Buffer.from((u.toJSON() as { hll: string }).hll, 'base64');
  const m = registers.length;
  let sum = 0;
  let zeros = 0;
  for (const r of registers) {
    sum += 2 ** -r;
    if (r === 0) zeros++;
  }
  const raw = ((0.7213 / (1 + 1.079 / m)) * m * m) / sum;
  return raw <= 2.5 * m && zeros > 0 ? Math.round(m * Math.log(m / zeros)) : Math.round(raw);
}

describe('UniqueUsers', () => {
  it('is exact up to the limit and ignores repeats', () => {
    const u = UniqueUsers.empty();
    for (let round = 0; round < 3; round++)
      for (let i = 0; i < EXACT_LIMIT; i++) u.add(`user-${i}`);
    expect(u.exact).toBe(true);
    expect(u.count()).toBe(EXACT_LIMIT);
  });

  it.each([5_000, 20_000, 40_000, 60_000, 150_000])(
    'stays within 2 %% of %d distinct users once it is a sketch',
    (n) => {
      for (const prefix of ['u', 'visitor:', '5126']) {
        const u = UniqueUsers.empty();
        for (let i = 0; i < n; i++) u.add(`${prefix}${i * 7919}`);
        expect(u.exact).toBe(false);
        expect(Math.abs(u.count() - n) / n).toBeLessThanOrEqual(0.02);
      }
    },
  );

  it('keeps its count as registers change: equal to a full scan at every step, and after a restore', () => {
    const u = UniqueUsers.empty();
    for (let i = 0; i < 80_000; i++) {
      u.add(`live-${i}`);
      if (i > EXACT_LIMIT && i % 1999 === 0) {
        expect(u.count()).toBe(fullScanEstimate(u));
        expect(UniqueUsers.revive(JSON.parse(JSON.stringify(u))).count()).toBe(u.count());
      }
    }
  });

  it('round-trips through its JSON and a structured clone', () => {
    for (const n of [10, 5000]) {
      const u = UniqueUsers.empty();
      for (let i = 0; i < n; i++) u.add(`id${i}`);
      const fromJson = UniqueUsers.revive(JSON.parse(JSON.stringify(u)));
      const fromClone = UniqueUsers.revive(structuredClone(u));
      expect(fromJson.count()).toBe(u.count());
      expect(fromClone.count()).toBe(u.count());
      fromJson.add('id0');
      expect(fromJson.count()).toBe(u.count());
    }
  });
});
