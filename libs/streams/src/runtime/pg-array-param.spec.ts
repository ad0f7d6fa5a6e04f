import {
  int4ArrayParam,
  int8ArrayParam,
  readTextArrayParam,
  textArrayParam,
} from './pg-array-param';

/** Reads Postgres' binary array format back (array_recv's layout), as Postgres would. */
function readArray(bytes: Buffer): {
  oid: number;
  elements: Array<Buffer | null>;
} {
  const ndim = bytes.readInt32BE(0);
  const hasNull = bytes.readInt32BE(4);
  const oid = bytes.readInt32BE(8);
  if (ndim === 0) {
    expect(bytes.length).toBe(12);
    return { oid, elements: [] };
  }
  expect(ndim).toBe(1);
  const count = bytes.readInt32BE(12);
  expect(bytes.readInt32BE(16)).toBe(1); // lower bound
  const elements: Array<Buffer | null> = [];
  let at = 20;
  for (let i = 0; i < count; i++) {
    const length = bytes.readInt32BE(at);
    at += 4;
    elements.push(length < 0 ? null : bytes.subarray(at, (at += length)));
  }
  expect(at).toBe(bytes.length);
  expect(hasNull).toBe(elements.includes(null) ? 1 : 0);
  return { oid, elements };
}

describe('array parameters in binary', () => {
  it('writes text elements as UTF-8, nulls as SQL NULL, with the text type', () => {
    const values = ['a', '', 'ünïcødé ✓', 'quote " back\\slash {brace,comma}', null, 'NULL'];
    const { oid, elements } = readArray(textArrayParam(values));
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
      expect(readArray(param!)).toEqual({ oid, elements: [] });
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
    const { oid, elements } = readArray(int8ArrayParam(values)!);
    expect(oid).toBe(20);
    expect(elements.map((e) => e!.readBigInt64BE(0))).toEqual(values.map(BigInt));
  });

  it('gives up (null) on a bigint that is not a safe integer, so Postgres judges the plain value', () => {
    expect(int8ArrayParam([1, 1.5])).toBeNull();
    expect(int8ArrayParam([2 ** 53])).toBeNull();
    expect(int8ArrayParam([Number.NaN])).toBeNull();
  });

  it('writes 32-bit integers, and gives up on anything outside them', () => {
    const { oid, elements } = readArray(int4ArrayParam([0, -1, 2 ** 31 - 1, -(2 ** 31)])!);
    expect(oid).toBe(23);
    expect(elements.map((e) => e!.readInt32BE(0))).toEqual([0, -1, 2 ** 31 - 1, -(2 ** 31)]);
    expect(int4ArrayParam([2 ** 31])).toBeNull();
    expect(int4ArrayParam([0.5])).toBeNull();
  });
});
