import { bytesOver } from './event-intake';

describe('bytesOver', () => {
  it('counts UTF-8 bytes, not UTF-16 units, and answers only over the bound', () => {
    expect(bytesOver('a'.repeat(100), 100)).toBeUndefined();
    expect(bytesOver('a'.repeat(101), 100)).toBe(101);
    // "é" is one UTF-16 unit and two UTF-8 bytes; "€" one unit and three bytes.
    expect(bytesOver('é'.repeat(50), 100)).toBeUndefined();
    expect(bytesOver('é'.repeat(51), 100)).toBe(102);
    expect(bytesOver('€'.repeat(34), 100)).toBe(102);
    expect(bytesOver('€'.repeat(33), 100)).toBeUndefined();
  });
});
