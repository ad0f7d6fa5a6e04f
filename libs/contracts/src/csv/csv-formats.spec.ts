import { validateEvent } from '../event.schema';
import {
  CsvRowError,
  MAX_CLICKS_PER_ROW,
  csvColumnNames,
  isCsvFormat,
  mapCsvRow,
} from './csv-formats';

describe('isCsvFormat', () => {
  it('knows the format names', () => {
    expect(['rees46', 'retailrocket', 'clicks'].every(isCsvFormat)).toBe(true);
    expect(isCsvFormat('auto')).toBe(false);
    expect(isCsvFormat(undefined)).toBe(false);
  });
});

describe('csvColumnNames', () => {
  it("uses the format's spelling for its columns, keeps others and skips unnamed ones", () => {
    expect(csvColumnNames('clicks', ['TIMESTAMP', ' user_id ', 'Clicks', 'Page', ''])).toEqual([
      'Timestamp',
      'User_ID',
      'Clicks',
      'Page',
      false,
    ]);
  });
});

describe('mapCsvRow: rees46', () => {
  const row = {
    event_time: '2019-10-01 00:00:00 UTC',
    event_type: 'view',
    product_id: '44600062',
    category_id: '2103807459595387724',
    category_code: '',
    brand: 'shiseido',
    price: '35.79',
    user_id: '541312140',
    user_session: '72d76fde-8bb3-4e00-8c23-a032dfed738c',
  };

  it('maps a row to contract input, leaving empty cells out', () => {
    expect(mapCsvRow('rees46', row)).toEqual([
      {
        event_time: '2019-10-01 00:00:00 UTC',
        event_type: 'view',
        product_id: '44600062',
        category_id: '2103807459595387724',
        brand: 'shiseido',
        price: 35.79,
        user_id: '541312140',
        session_id: '72d76fde-8bb3-4e00-8c23-a032dfed738c',
      },
    ]);
  });

  it('keeps extra columns in properties', () => {
    const [input] = mapCsvRow('rees46', { ...row, country: 'DE', note: '' });
    expect(input.properties).toEqual({ country: 'DE' });
  });

  it('passes bad cells through so the validator names the field', () => {
    const [input] = mapCsvRow('rees46', {
      ...row,
      price: 'n/a',
      event_type: 'wishlist',
      user_id: '',
    });
    expect(input).toMatchObject({ price: 'n/a', event_type: 'wishlist' });
    expect(input).not.toHaveProperty('user_id');
    const result = validateEvent(input, { now: Date.parse('2019-10-02T00:00:00Z') });
    expect(result.ok ? [] : result.errors.map((issue) => issue.field)).toEqual([
      'event_type',
      'user_id',
      'price',
    ]);
  });
});

describe('mapCsvRow: retailrocket', () => {
  const row = {
    timestamp: '1433440854985',
    visitorid: '1207981',
    event: 'transaction',
    itemid: '350734',
  };

  it('maps a row, keeping a transactionid in properties', () => {
    expect(mapCsvRow('retailrocket', { ...row, transactionid: '8693.0' })).toEqual([
      {
        event_time: '1433440854985',
        event_type: 'transaction',
        user_id: '1207981',
        product_id: '350734',
        properties: { transactionid: '8693.0' },
      },
    ]);
  });

  it('has no properties when transactionid is empty and there are no extra columns', () => {
    const [input] = mapCsvRow('retailrocket', { ...row, event: 'view', transactionid: '' });
    expect(input).not.toHaveProperty('properties');
  });

  it('keeps extra columns such as datetime in properties', () => {
    const [input] = mapCsvRow('retailrocket', {
      ...row,
      transactionid: '',
      datetime: '2015-06-04 18:00:54.985',
    });
    expect(input.properties).toEqual({ datetime: '2015-06-04 18:00:54.985' });
  });
});

describe('mapCsvRow: clicks', () => {
  const row = { Timestamp: '2024-03-01T10:00:00Z', User_ID: 'u1' };

  it('gives one click event per click', () => {
    const inputs = mapCsvRow('clicks', { ...row, Clicks: '3' });
    expect(inputs).toHaveLength(3);
    for (const input of inputs) {
      expect(input).toEqual({
        event_type: 'click',
        event_time: '2024-03-01T10:00:00Z',
        user_id: 'u1',
      });
    }
    expect(inputs[0]).not.toBe(inputs[1]);
  });

  it('gives no event for 0 clicks', () => {
    expect(mapCsvRow('clicks', { ...row, Clicks: '0' })).toEqual([]);
  });

  it.each([
    ['-1', 'must be an integer from 0 to 10000 (got "-1")'],
    ['1.5', 'must be an integer from 0 to 10000 (got "1.5")'],
    ['many', 'must be an integer from 0 to 10000 (got "many")'],
    [String(MAX_CLICKS_PER_ROW + 1), 'must be an integer from 0 to 10000 (got "10001")'],
    ['', 'is required'],
    [undefined, 'is required'],
  ])('rejects Clicks %j naming the column', (clicks, message) => {
    const map = () => mapCsvRow('clicks', { ...row, Clicks: clicks });
    expect(map).toThrow(CsvRowError);
    expect(map).toThrow(expect.objectContaining({ issue: { field: 'Clicks', message } }));
  });
});
