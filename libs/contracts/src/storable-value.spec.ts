import { findUnstorable, isStorableText, utf8BytesOver } from './storable-value';

describe('isStorableText', () => {
  it.each([
    ['plain text', 'hello', true],
    ['a surrogate pair', '😀', true],
    ['the empty string', '', true],
    ['a NUL', 'a\u0000b', false],
    ['a lone high surrogate at the end', 'a\ud83d', false],
    ['a lone low surrogate', '\ude00a', false],
  ])('%s: %s', (_label, text, storable) => {
    expect(isStorableText(text)).toBe(storable);
  });
});

describe('findUnstorable', () => {
  it('gives the path of the first bad part, or undefined', () => {
    expect(findUnstorable({ a: [1, 'ok', { b: null }] }, 1)).toBeUndefined();
    expect(findUnstorable({ a: [1, 'ok', { b: '\u0000' }], c: '\u0000' }, 1)).toEqual({
      path: ['a', 2, 'b'],
      message: 'must be text without NUL (U+0000) or lone surrogates (got "\\u0000")',
    });
  });

  it('counts levels from the given one', () => {
    expect(findUnstorable({ a: {} }, 7)).toBeUndefined();
    expect(findUnstorable({ a: {} }, 8)?.path).toEqual(['a']);
    expect(findUnstorable('not a container', 100)).toBeUndefined();
  });
});

describe('utf8BytesOver', () => {
  it('counts UTF-8 bytes, not UTF-16 units, and answers only over the bound', () => {
    expect(utf8BytesOver('a'.repeat(100), 100)).toBeUndefined();
    expect(utf8BytesOver('a'.repeat(101), 100)).toBe(101);
    // "é" is one UTF-16 unit and two UTF-8 bytes; "€" one unit and three bytes.
    expect(utf8BytesOver('é'.repeat(50), 100)).toBeUndefined();
    expect(utf8BytesOver('é'.repeat(51), 100)).toBe(102);
    expect(utf8BytesOver('€'.repeat(34), 100)).toBe(102);
    expect(utf8BytesOver('€'.repeat(33), 100)).toBeUndefined();
  });
});
