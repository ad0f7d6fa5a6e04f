import { mix32 } from './hash';

describe('mix32 (murmur3 fmix32)', () => {
  it('gives murmur3’s published finaliser values', () => {
    expect(mix32(0)).toBe(0);
    expect(mix32(1)).toBe(0x514e28b7);
    expect(mix32(0xdeadbeef)).toBe(0x0de5c6a9);
  });

  it('returns an unsigned 32-bit integer and flips about half the bits for a one-bit change', () => {
    let flipped = 0;
    for (let i = 0; i < 1000; i++) {
      const a = mix32(i);
      expect(Number.isInteger(a) && a >= 0 && a < 2 ** 32).toBe(true);
      flipped += ((a ^ mix32(i ^ 1)) >>> 0).toString(2).replace(/0/g, '').length;
    }
    expect(flipped / 1000).toBeGreaterThan(14);
    expect(flipped / 1000).toBeLessThan(18);
  });
});
