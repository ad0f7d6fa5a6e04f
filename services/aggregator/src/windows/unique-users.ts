import { mix32 } from '@clickstream/streams';

/**
 * Distinct users of one window partial: exact up to `EXACT_LIMIT` ids, then a HyperLogLog sketch
 * (2^14 registers: standard error 0.81 %, so well within SPEC §6's 2 %).
 *
 * Why hand-written: the npm HyperLogLog packages we measured were unusable (bloom-filters 3.0.4
 * is off by ~50 % between 300 and 20,000 items and costs ~400 µs per update; hyperloglog32 never
 * computes ranks; the others need native murmurhash builds that npm does not run here). This is the
 * textbook algorithm (Flajolet et al. 2007, linear counting below 2.5 m) in ~60 lines, tested for
 * its error bound in unique-users.spec.ts.
 *
 * Adding is idempotent, so the set is updated in place (copying it per event would cost O(users)):
 * a record retried after a failure adds the same user again and changes nothing.
 */
export const EXACT_LIMIT = 2000;
const P = 14;
const M = 1 << P;
const ALPHA = 0.7213 / (1 + 1.079 / M);
/** The largest rank a 32-bit hash gives (clz32 + 1). */
const MAX_RANK = 33;

/** What a partial stores: the ids while exact, else the registers in base64. */
export type UniqueUsersJson = { ids: string[] } | { hll: string };

export class UniqueUsers {
  private ids: Set<string> | null;
  private registers: Uint8Array | null;
  /**
   * Kept as registers change, so a count does not read all 2^14 registers (it did on every commit
   * that touched the window). Σ 2^-register scaled by 2^MAX_RANK is an integer below 2^53, so the
   * running sum is exact and equals a full scan's: the same estimate after a restore as before.
   */
  private scaledSum = 0;
  private zeros = 0;

  private constructor(ids: Set<string> | null, registers: Uint8Array | null) {
    this.ids = ids;
    this.registers = registers;
    if (registers) this.rescan();
  }

  static empty(): UniqueUsers {
    return new UniqueUsers(new Set(), null);
  }

  /** From the stored JSON, a structured clone (the test driver) or an instance. */
  static revive(v: unknown): UniqueUsers {
    if (v instanceof UniqueUsers) return v;
    const o = v as { ids?: unknown; hll?: unknown; registers?: unknown };
    if (Array.isArray(o.ids)) return new UniqueUsers(new Set(o.ids as string[]), null);
    // Duck-typed: a structured clone may come from another realm (jest), where instanceof fails.
    if (o.ids && typeof (o.ids as Set<string>).has === 'function')
      return new UniqueUsers(new Set(o.ids as Set<string>), null);
    if (typeof o.hll === 'string')
      return new UniqueUsers(null, new Uint8Array(Buffer.from(o.hll, 'base64')));
    if (ArrayBuffer.isView(o.registers))
      return new UniqueUsers(null, new Uint8Array(o.registers as Uint8Array));
    return UniqueUsers.empty();
  }

  get exact(): boolean {
    return this.ids !== null;
  }

  add(userId: string): void {
    if (this.ids) {
      this.ids.add(userId);
      if (this.ids.size > EXACT_LIMIT) this.toSketch();
      return;
    }
    this.addToSketch(userId);
  }

  count(): number {
    if (this.ids) return this.ids.size;
    const raw = (ALPHA * M * M) / (this.scaledSum / 2 ** MAX_RANK);
    if (raw <= 2.5 * M && this.zeros > 0) return Math.round(M * Math.log(M / this.zeros));
    return Math.round(raw);
  }

  toJSON(): UniqueUsersJson {
    if (this.ids) return { ids: [...this.ids] };
    return { hll: Buffer.from(this.registers!).toString('base64') };
  }

  private toSketch(): void {
    const ids = this.ids!;
    this.registers = new Uint8Array(M);
    this.ids = null;
    this.rescan();
    for (const id of ids) this.addToSketch(id);
  }

  private addToSketch(id: string): void {
    const registers = this.registers!;
    const index = hash32(id, 0x9747b28c) >>> (32 - P);
    const rank = Math.clz32(hash32(id, 0x5bd1e995)) + 1;
    const old = registers[index];
    if (rank <= old) return;
    registers[index] = rank;
    this.scaledSum += 2 ** (MAX_RANK - rank) - 2 ** (MAX_RANK - old);
    if (old === 0) this.zeros--;
  }

  private rescan(): void {
    let sum = 0;
    let zeros = 0;
    for (const register of this.registers!) {
      sum += 2 ** (MAX_RANK - register);
      if (register === 0) zeros++;
    }
    this.scaledSum = sum;
    this.zeros = zeros;
  }
}

/** FNV-1a over UTF-16 code units, finished with murmur3's fmix32 for avalanche. */
export function hash32(s: string, seed: number): number {
  let h = (2166136261 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return mix32(h);
}
