import {
  int4ArrayParam,
  int8ArrayParam,
  readArrayParam,
  readTextArrayParam,
  textArrayParam,
} from './pg-array-param';

describe('array parameters in binary', () => {
  it('writes text elements as UTF-8, nulls as SQL NULL, with the text type', () => {
    const values = ['a', '', 'ünïcødé ✓', 'quote " back\\slash {brace,comma}', null, 'NULL'];
    const { oid, elements } = readArrayParam(textArrayParam(values));
    expect(oid).toBe(25);
    expect(elements.map((e) => (e === null ? null : e.toString('utf8')))).toEqual(values);
    expect(readTextArrayParam(textArrayParam(values))).toEqual(values);
    expect(readTextArrayParam(textArrayParam([]))).toEqual([]);
  });

  it('writes an empty array without a dimension', () => {
    for (const [param, oid] of [
      [textArrayParam([]), 25],
      [int8ArrayParam([]), 20],
      [int4ArrayParam([]), 23],
    ] as const) {
      expect(readArrayParam(param!)).toEqual({ oid, elements: [] });
    }
  });

  it('writes safe integers as 64-bit two’s complement', () => {
    const values = [
      0,
      1,
      -1,
      2 ** 32,
      -(2 ** 32) - 5,
      Number.MAX_SAFE_INTEGER,
      Number.MIN_SAFE_INTEGER,
    ];
    const { oid, elements } = readArrayParam(int8ArrayParam(values)!);
    expect(oid).toBe(20);
    expect(elements.map((e) => e!.readBigInt64BE(0))).toEqual(values.map(BigInt));
  });

  it('gives up (null) on a bigint that is not a safe integer, so Postgres judges the plain value', () => {
    expect(int8ArrayParam([1, 1.5])).toBeNull();
    expect(int8ArrayParam([2 ** 53])).toBeNull();
    expect(int8ArrayParam([Number.NaN])).toBeNull();
  });

  it('writes 32-bit integers, and gives up on anything outside them', () => {
    const { oid, elements } = readArrayParam(int4ArrayParam([0, -1, 2 ** 31 - 1, -(2 ** 31)])!);
    expect(oid).toBe(23);
    expect(elements.map((e) => e!.readInt32BE(0))).toEqual([0, -1, 2 ** 31 - 1, -(2 ** 31)]);
    expect(int4ArrayParam([2 ** 31])).toBeNull();
    expect(int4ArrayParam([0.5])).toBeNull();
  });

  it('reads back only what array_recv would take: one dimension from 1, the flag true, no bytes after', () => {
    const good = textArrayParam(['x', null]);
    const noFlag = Buffer.from(good);
    noFlag.writeInt32BE(0, 4);
    const lowerBound0 = Buffer.from(good);
    lowerBound0.writeInt32BE(0, 16);
    expect(() => readArrayParam(noFlag)).toThrow(/has-null flag/);
    expect(() => readArrayParam(lowerBound0)).toThrow(/one-dimensional/);
    expect(() => readArrayParam(Buffer.concat([good, Buffer.from([0])]))).toThrow(/1 bytes after/);
  });
});
