import { ByteFormatError } from '@clickstream/streams';
import { T0 } from '../../../test/fraud-fixtures';
import { decodeUserWindows, encodeUserWindows, UserRuleWindows } from './user-windows-bytes';

const WINDOWS: UserRuleWindows = [
  { rule: 'click_flood', start: T0, end: T0 + 60_000, acc: { events: 51 }, fired: true },
  { rule: 'click_flood', start: T0 + 60_000, end: T0 + 120_000, acc: { events: 0 }, fired: false },
  {
    rule: 'ip_hopping',
    start: T0,
    end: T0 + 600_000,
    acc: { ips: ['10.0.0.1', '2001:db8::1', 'ünï'] },
    fired: false,
  },
  { rule: 'purchase_velocity', start: T0, end: T0 + 600_000, acc: { purchases: 3 }, fired: false },
  {
    rule: 'high_value',
    start: T0,
    end: T0 + 600_000,
    acc: { cents: 1_000_001, purchases: 2, amounts: [0.01, 10_000] },
    fired: true,
  },
  { rule: 'geo_velocity', start: -600_000, end: 0, acc: { countries: [] }, fired: false },
  {
    // A sum of cents past 2^53, as the contract's largest price and quantity give.
    rule: 'high_value',
    start: T0 + 600_000,
    end: T0 + 1_200_000,
    acc: { cents: 1e17, purchases: 1, amounts: [1e15] },
    fired: true,
  },
];

describe('a user’s rule windows as bytes', () => {
  it('reads back every rule’s window as written, in order', () => {
    const bytes = encodeUserWindows(WINDOWS);
    expect(bytes[0]).toBe(0x00);
    expect(decodeUserWindows(bytes)).toEqual(WINDOWS);
    expect(decodeUserWindows(new Uint8Array(bytes))).toEqual(WINDOWS);
    expect(decodeUserWindows(encodeUserWindows([]))).toEqual([]);
  });

  it('is a fraction of the windows’ JSON', () => {
    expect(encodeUserWindows(WINDOWS).length).toBeLessThan(JSON.stringify(WINDOWS).length / 3);
  });

  it('refuses what it cannot read, saying why', () => {
    const bytes = encodeUserWindows(WINDOWS);
    const other = Buffer.from(bytes);
    other[1] = 9;
    expect(() => decodeUserWindows(other)).toThrow(
      new ByteFormatError('stored set of rule windows of layout version 9; this build reads 1'),
    );
    expect(() => decodeUserWindows(bytes.subarray(0, bytes.length - 1))).toThrow(ByteFormatError);
    expect(() => decodeUserWindows(Buffer.concat([bytes, Buffer.from([0])]))).toThrow(
      new ByteFormatError('stored rule windows have bytes after their last window'),
    );
    const badRule = encodeUserWindows([WINDOWS[0]]);
    badRule[3] = 7;
    expect(() => decodeUserWindows(badRule)).toThrow(
      new ByteFormatError('rule index 7 is not a rule'),
    );
    expect(() => decodeUserWindows(Buffer.from('[]'))).toThrow(
      new ByteFormatError('not a stored set of rule windows'),
    );
  });
});
