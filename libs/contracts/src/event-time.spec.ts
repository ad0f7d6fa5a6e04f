import {
  EVENT_TIME_PATTERN,
  MAX_EVENT_TIME_MS,
  formatEventTime,
  parseEventTime,
} from './event-time';

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('parseEventTime', () => {
  it.each([
    ['REES46 form', '2019-10-01 00:00:00 UTC', '2019-10-01T00:00:00.000Z'],
    ['REES46 form with a fraction', '2019-10-01 23:59:59.5 UTC', '2019-10-01T23:59:59.500Z'],
    ['ISO with Z', '2019-10-01T00:00:00Z', '2019-10-01T00:00:00.000Z'],
    ['ISO with milliseconds', '2019-10-01T00:00:00.123Z', '2019-10-01T00:00:00.123Z'],
    [
      'ISO with nanoseconds (truncated)',
      '2019-10-01T00:00:00.123456789Z',
      '2019-10-01T00:00:00.123Z',
    ],
    ['ISO without seconds', '2019-10-01T12:30Z', '2019-10-01T12:30:00.000Z'],
    ['ISO with +HH:MM', '2019-10-01T02:00:00+02:00', '2019-10-01T00:00:00.000Z'],
    ['ISO with -HHMM', '2019-09-30T19:30:00-0430', '2019-10-01T00:00:00.000Z'],
    ['ISO with +HH', '2019-10-01T05:00:00+05', '2019-10-01T00:00:00.000Z'],
    ['ISO on a leap day', '2020-02-29T00:00:00Z', '2020-02-29T00:00:00.000Z'],
    ['epoch ms string', '1569888000000', '2019-10-01T00:00:00.000Z'],
    ['epoch ms string (Retailrocket)', '1433193132535', '2015-06-01T21:12:12.535Z'],
    ['epoch ms number', 1569888000000, '2019-10-01T00:00:00.000Z'],
    ['epoch 0', 0, '1970-01-01T00:00:00.000Z'],
  ])('accepts %s: %j', (_label, value, expected) => {
    expect(iso(parseEventTime(value))).toBe(expected);
  });

  it.each([
    ['naive ISO (no offset)', '2019-10-01T00:00:00'],
    ['naive date-time with a space', '2019-10-01 00:00:00'],
    ['date only', '2019-10-01'],
    ['REES46 form without seconds', '2019-10-01 00:00 UTC'],
    ['space separator with Z', '2019-10-01 00:00:00Z'],
    ['T separator with UTC', '2019-10-01T00:00:00 UTC'],
    ['lower-case z', '2019-10-01T00:00:00z'],
    ['February 30', '2019-02-30T00:00:00Z'],
    ['February 29 of a common year', '2019-02-29 00:00:00 UTC'],
    ['February 29 of 1900', '1900-02-29T00:00:00Z'],
    ['April 31', '2019-04-31T00:00:00Z'],
    ['month 13', '2019-13-01T00:00:00Z'],
    ['day 0', '2019-10-00T00:00:00Z'],
    ['hour 24', '2019-10-01T24:00:00Z'],
    ['minute 60', '2019-10-01T00:60:00Z'],
    ['leap second', '2016-12-31T23:59:60Z'],
    ['offset hour 24', '2019-10-01T00:00:00+24:00'],
    ['offset minute 60', '2019-10-01T00:00:00+01:60'],
    ['dangling offset colon', '2019-10-01T00:00:00+01:'],
    ['empty fraction', '2019-10-01T00:00:00.Z'],
    ['ten fraction digits', '2019-10-01T00:00:00.1234567891Z'],
    ['trailing text', '2019-10-01T00:00:00Zjunk'],
    ['before 1970', '1969-12-31T23:59:59Z'],
    ['before 1970 through an offset', '1970-01-01T00:30:00+01:00'],
    ['two-digit year', '0070-01-01T00:00:00Z'],
    ['year 10000', 253402300800000],
    ['16 digits', '1234567890123456'],
    ['negative epoch', -1],
    ['fractional epoch', 1569888000000.5],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['digits with a sign', '+1569888000000'],
    ['empty string', ''],
    ['a word', 'yesterday'],
    ['a boolean', true],
    ['null', null],
    ['a Date object', new Date(0)],
  ])('rejects %s: %p', (_label, value) => {
    expect(parseEventTime(value)).toBeUndefined();
  });

  it('keeps the JSON Schema pattern in line with the parser for well-formed values', () => {
    const accepted = [
      '2019-10-01 00:00:00 UTC',
      '2019-10-01T00:00Z',
      '2019-10-01T00:00:00.5+0130',
      '1433193132535',
    ];
    for (const value of accepted) expect(EVENT_TIME_PATTERN.test(value)).toBe(true);
    const rejected = [
      '2019-10-01T00:00:00',
      '2019-10-01 00:00:00',
      '2019-10-01T00:00:00 UTC',
      '1234567890123456',
    ];
    for (const value of rejected) expect(EVENT_TIME_PATTERN.test(value)).toBe(false);
  });
});

describe('formatEventTime', () => {
  it('writes UTC ISO-8601 with milliseconds', () => {
    expect(formatEventTime(1569888000000)).toBe('2019-10-01T00:00:00.000Z');
    expect(formatEventTime(0)).toBe('1970-01-01T00:00:00.000Z');
    expect(formatEventTime(951782400007)).toBe('2000-02-29T00:00:00.007Z');
    expect(formatEventTime(MAX_EVENT_TIME_MS)).toBe('9999-12-31T23:59:59.999Z');
  });

  it('agrees with Date#toISOString across the supported range', () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648; // deterministic LCG: reproducible failures
      return seed / 2147483648;
    };
    for (let i = 0; i < 20000; i++) {
      const ms = Math.floor(random() * MAX_EVENT_TIME_MS);
      expect(formatEventTime(ms)).toBe(new Date(ms).toISOString());
    }
  });

  it('falls back to Date#toISOString outside 1970..9999', () => {
    expect(formatEventTime(-1)).toBe('1969-12-31T23:59:59.999Z');
    expect(() => formatEventTime(Number.NaN)).toThrow(RangeError);
  });

  it('round-trips through parseEventTime', () => {
    const ms = 1433193132535;
    expect(parseEventTime(formatEventTime(ms))).toBe(ms);
  });
});
