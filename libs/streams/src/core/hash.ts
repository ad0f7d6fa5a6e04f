/**
 * murmur3's 32-bit finaliser (fmix32): every input bit affects every output bit. For hashes that
 * must spread well (sketch registers, seeded streams) without a native murmur build.
 */
export function mix32(hash: number): number {
  let h = hash;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
