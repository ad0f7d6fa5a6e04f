import {
  ByteFormatError,
  ByteReader,
  ByteWriter,
  readStateHeader,
  writeStateHeader,
} from './byte-codec';

describe('ByteWriter and ByteReader', () => {
  it('read back what was written: varints at every size, signs, floats and strings', () => {
    const uints = [
      0,
      1,
      127,
      128,
      16_383,
      16_384,
      2 ** 31 - 1,
      2 ** 31,
      2 ** 32,
      1.7e12,
      2 ** 53 - 1,
    ];
    const ints = [0, -1, 1, -64, 64, -(2 ** 40), 2 ** 40, -(2 ** 52) + 1, 2 ** 52 - 1];
    const floats = [0.5, -1e-9, 1.7e12 + 0.25, Number.MAX_VALUE];
    const strings = ['', 'a', 'é漢字🙂', 'x'.repeat(200), '36c3f8a2-0000-4000-8000-000000000000'];
    const out = new ByteWriter();
    for (const v of uints) out.uint(v);
    for (const v of ints) out.int(v);
    for (const v of floats) out.f64(v);
    for (const v of strings) out.string(v);
    out.byte(255);
    const input = new ByteReader(out.bytes());
    expect(uints.map(() => input.uint())).toEqual(uints);
    expect(ints.map(() => input.int())).toEqual(ints);
    expect(floats.map(() => input.f64())).toEqual(floats);
    expect(strings.map(() => input.string())).toEqual(strings);
    expect(input.byte()).toBe(255);
    expect(input.done).toBe(true);
  });

  it('reads back any number exactly, as a varint below 2^52 in magnitude and as a float beyond', () => {
    const out = new ByteWriter();
    const short = [0, 7, -7, 123_456, 2 ** 52 - 1, -(2 ** 52) + 1];
    // 2^52 and up are safe integers that a signed varint cannot hold (CI, 2026-12-07).
    const long = [2 ** 52, -(2 ** 52), 4_503_599_628_000_000, Number.MAX_SAFE_INTEGER, 1e300];
    const odd = [0.5, -0, NaN, Infinity, -Infinity];
    for (const v of [...short, ...long, ...odd]) {
      out.reset().number(v);
      // Object.is: includes() would take -0 for 0.
      const tag = short.some((x) => Object.is(x, v)) ? 0 : 1;
      expect(new ByteReader(out.bytes()).byte()).toBe(tag);
      expect(Object.is(new ByteReader(out.bytes()).number(), v)).toBe(true);
    }
    expect(() => new ByteReader(Buffer.from([2, 0])).number()).toThrow(
      new ByteFormatError('number tag 2 at 0 is neither 0 nor 1'),
    );
  });

  it('grows past its first buffer, and a reset starts over', () => {
    const out = new ByteWriter();
    const long = 'y'.repeat(10_000);
    out.string(long);
    out.uint(2 ** 50);
    const input = new ByteReader(out.bytes());
    expect(input.string()).toBe(long);
    expect(input.uint()).toBe(2 ** 50);
    out.reset().byte(7);
    expect([...out.bytes()]).toEqual([7]);
  });

  it('small values are short: a varint of 127 is one byte, a 36-character id 37', () => {
    const out = new ByteWriter();
    out.uint(127);
    expect(out.length).toBe(1);
    out.reset().int(-64);
    expect(out.length).toBe(1);
    out.reset().string('36c3f8a2-0000-4000-8000-000000000000');
    expect(out.length).toBe(37);
  });

  it('refuses what it cannot write exactly', () => {
    const out = new ByteWriter();
    expect(() => out.uint(-1)).toThrow(RangeError);
    expect(() => out.uint(0.5)).toThrow('0.5 is not a safe non-negative integer');
    expect(() => out.int(2 ** 52)).toThrow('is not an integer below 2^52 in magnitude');
  });

  it('a truncated value is a ByteFormatError naming where, never retried', () => {
    const out = new ByteWriter();
    out.string('hello');
    const bytes = out.bytes().subarray(0, 3);
    const err = (() => {
      try {
        new ByteReader(bytes).string();
      } catch (e) {
        return e as ByteFormatError;
      }
    })();
    expect(err).toBeInstanceOf(ByteFormatError);
    expect(err?.message).toBe('stored bytes end at 3, 5 more needed at 1');
    expect(err?.retriable).toBe(false);
    expect(() => new ByteReader(Buffer.from([0x80, 0x80])).uint()).toThrow(ByteFormatError);
  });

  it('reads a Uint8Array that is not a Buffer (a structured clone of one)', () => {
    const out = new ByteWriter();
    out.int(-300);
    const copy = structuredClone(out.bytes()) as Uint8Array;
    expect(Buffer.isBuffer(copy)).toBe(false);
    expect(new ByteReader(copy).int()).toBe(-300);
  });
});

describe('a stored state layout header', () => {
  it('starts with STATE_BYTES_TAG and the version, and refuses another tag or version by name', () => {
    const out = new ByteWriter();
    writeStateHeader(out, 4);
    out.uint(7);
    const bytes = out.bytes();
    expect([...bytes]).toEqual([0x00, 4, 7]);
    const input = new ByteReader(bytes);
    readStateHeader(input, 'thing', 4);
    expect(input.uint()).toBe(7);
    expect(() => readStateHeader(new ByteReader(bytes), 'thing', 5)).toThrow(
      new ByteFormatError('stored thing of layout version 4; this build reads 5'),
    );
    expect(() => readStateHeader(new ByteReader(Buffer.from('{}')), 'thing', 4)).toThrow(
      new ByteFormatError('not a stored thing'),
    );
  });
});
