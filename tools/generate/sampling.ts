/** Deterministic sampling helpers: splitting totals, stratified counts, user samples, spread times. */
import { MINUTE } from './generator-constants';
import { Rng } from './prng';

/** Splits `total` in proportion to `lengths` (largest remainder; ties to the earlier one). */
export function allocate(total: number, lengths: readonly number[]): number[] {
  const sum = lengths.reduce((a, b) => a + b, 0);
  const exact = lengths.map((length) => (total * length) / sum);
  const out = exact.map(Math.floor);
  let rest = total - out.reduce((a, b) => a + b, 0);
  const order = exact
    .map((share, i) => [share - Math.floor(share), i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (rest <= 0) break;
    out[i]++;
    rest--;
  }
  return out;
}

/**
 * `users` counts in 1..cap, spread evenly over 1..K, summing to exactly `total` (total >= users).
 * Ascending-ish.
 */
export function stratifiedCounts(total: number, users: number, cap: number): Int32Array {
  const counts = new Int32Array(users);
  if (users === 0) return counts;
  const maxCount = Math.min(cap, Math.max(1, (2 * total) / users - 1));
  let sum = 0;
  for (let i = 0; i < users; i++) {
    counts[i] = Math.min(cap, Math.max(1, Math.round(1 + ((maxCount - 1) * (i + 0.5)) / users)));
    sum += counts[i];
  }
  let diff = total - sum;
  // Add to the small counts first, take from the large ones first: the spread stays uniform.
  while (diff !== 0) {
    let changed = false;
    if (diff > 0) {
      for (let i = 0; i < users && diff > 0; i++) {
        if (counts[i] < cap) {
          counts[i]++;
          diff--;
          changed = true;
        }
      }
    } else {
      for (let i = users - 1; i >= 0 && diff < 0; i--) {
        if (counts[i] > 1) {
          counts[i]--;
          diff++;
          changed = true;
        }
      }
    }
    if (!changed)
      throw new Error(`cannot spread ${total} events over ${users} users of at most ${cap}`);
  }
  return counts;
}

/** `count` distinct users of 0..population−1 in random order. */
export function sampleUsers(rng: Rng, population: number, count: number): Int32Array {
  if (count === 0) return new Int32Array(0);
  // Few of many: rejection sampling, without an array of the whole population.
  if (count * 4 < population) {
    const chosen = new Set<number>();
    const out = new Int32Array(count);
    let i = 0;
    while (i < count) {
      const user = rng.int(population);
      if (!chosen.has(user)) {
        chosen.add(user);
        out[i++] = user;
      }
    }
    return out;
  }
  const all = new Int32Array(population);
  for (let i = 0; i < population; i++) all[i] = i;
  for (let i = 0; i < count; i++) {
    const j = i + rng.int(population - i);
    const tmp = all[i];
    all[i] = all[j];
    all[j] = tmp;
  }
  return all.slice(0, count);
}

/** n times spread evenly with jitter over [from, to), strictly increasing. */
export function spread(rng: Rng, from: number, to: number, n: number): number[] {
  const out: number[] = [];
  const step = (to - from) / n;
  for (let j = 0; j < n; j++) out.push(Math.floor(from + (j + 0.15 + 0.7 * rng.next()) * step));
  return out;
}

/** n times over the given whole minutes (round-robin quotas), increasing. */
export function spreadOver(rng: Rng, minutes: number[], n: number): number[] {
  const out: number[] = [];
  minutes.forEach((minute, i) => {
    const quota = Math.floor(n / minutes.length) + (i < n % minutes.length ? 1 : 0);
    if (quota > 0) out.push(...spread(rng, minute + 1000, minute + MINUTE - 1000, quota));
  });
  return out;
}
