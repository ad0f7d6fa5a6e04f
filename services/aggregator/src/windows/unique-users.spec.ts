import { EXACT_LIMIT, UniqueUsers } from './unique-users';

describe('UniqueUsers', () => {
  it('is exact up to the limit and ignores repeats', () => {
    const u = UniqueUsers.empty();
    for (let round = 0; round < 3; round++) for (let i = 0; i < EXACT_LIMIT; i++) u.add(`user-${i}`);
    expect(u.exact).toBe(true);
    expect(u.count()).toBe(EXACT_LIMIT);
  });

  it.each([5_000, 20_000, 40_000, 60_000, 150_000])('stays within 2 %% of %d distinct users once it is a sketch', (n) => {
    for (const prefix of ['u', 'visitor:', '5126']) {
      const u = UniqueUsers.empty();
      for (let i = 0; i < n; i++) u.add(`${prefix}${i * 7919}`);
      expect(u.exact).toBe(false);
      expect(Math.abs(u.count() - n) / n).toBeLessThanOrEqual(0.02);
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
