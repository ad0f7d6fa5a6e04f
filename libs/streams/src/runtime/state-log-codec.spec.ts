import { decodeStateLog, encodeStateLog } from './state-log-codec';

describe('state log rows', () => {
  it('give back every change as written, in order, with keys and stores of any text', () => {
    const row = encodeStateLog([
      { store: 'sessions-store', key: 'u-1', value: '{"a":"é\\"}"}' },
      { store: 'windows-store', key: 'ключ,{"}\\ NULL', value: Uint8Array.from([0, 1, 255]) },
      { store: 'sessions-store', key: '', value: undefined },
      { store: '🛒', key: 'k', value: '' },
    ]);
    expect(decodeStateLog(row)).toEqual([
      { store: 'sessions-store', key: 'u-1', value: Buffer.from('{"a":"é\\"}"}') },
      { store: 'windows-store', key: 'ключ,{"}\\ NULL', value: Buffer.from([0, 1, 255]) },
      { store: 'sessions-store', key: '', value: undefined },
      { store: '🛒', key: 'k', value: Buffer.alloc(0) },
    ]);
  });

  it('copies values out of the row, so a kept value does not hold the row', () => {
    const row = encodeStateLog([
      { store: 's', key: 'k', value: Uint8Array.from([0, 9]) },
      { store: 's', key: 'large', value: 'x'.repeat(100_000) },
    ]);
    const [small] = decodeStateLog(row);
    expect([...small.value!]).toEqual([0, 9]);
    expect(small.value!.buffer).not.toBe(row.buffer);
  });

  it('names what is wrong with a row it cannot read', () => {
    const row = encodeStateLog([{ store: 's', key: 'key', value: 'x'.repeat(40) }]);
    expect(() => decodeStateLog(row.subarray(0, row.length - 5))).toThrow(
      /state log row: truncated at byte/,
    );
    expect(() => decodeStateLog(Buffer.from([2, 0, 0]))).toThrow(
      /state log row: version 2, expected 1/,
    );
  });
});
