import { decodeStateValue, Statement, stateCtes, storedStateValue } from './commit-sql';
import { readArrayParam } from './pg-array-param';

/** The elements of an integer[] parameter in binary. */
const int4Elements = (param: Buffer): number[] =>
  readArrayParam(param).elements.map((e) => e!.readInt32BE(0));

describe('state values in a commit', () => {
  it('stores JSON as its text and a node layout (first byte 0x00) as its bytes; reads each back', () => {
    const bytes = Buffer.from([0, 3, 7, 255]);
    expect(storedStateValue({ a: [1, 2] })).toBe('{"a":[1,2]}');
    expect(storedStateValue(bytes)).toBe(bytes);
    expect(decodeStateValue(Buffer.from('{"a":[1,2]}'))).toEqual({ a: [1, 2] });
    expect(decodeStateValue(bytes)).toBe(bytes);
  });

  it('refuses bytes without the tag: they would be read back as JSON and fail', () => {
    expect(() => storedStateValue(Buffer.from([123, 1]))).toThrow(
      'stored state bytes must begin with 0x00 (a node layout tag), not 0x7b',
    );
    // A node's bug, not a passing fault: never retried.
    expect(() => storedStateValue(new Uint8Array(0))).toThrow(
      expect.objectContaining({ code: 'STATE_BYTES_UNREADABLE', retriable: false }),
    );
  });

  it('sends JSON and bytes of one commit as one parameter, cut by offset and length', () => {
    const q = new Statement();
    const changes = new Map([
      [
        'store',
        new Map([
          ['json', storedStateValue({ é: 1 })],
          ['bytes', storedStateValue(Buffer.from([0, 3, 9]))],
          ['gone', undefined],
        ]),
      ],
    ]);
    const ctes = stateCtes(q, ['$a', '$t', '$p'], changes);
    expect(ctes).toHaveLength(2);
    const valuesParam = /substring\(\$(\d+)::bytea/.exec(ctes[1])![1];
    const all = q.params[Number(valuesParam) - 1] as Buffer;
    const [offsets, lengths] = (q.params.slice(-2) as Buffer[]).map(int4Elements);
    const cut = offsets.map((offset, i) => all.subarray(offset - 1, offset - 1 + lengths[i]));
    expect(decodeStateValue(cut[0])).toEqual({ é: 1 });
    expect([...cut[1]]).toEqual([0, 3, 9]);
  });
});
