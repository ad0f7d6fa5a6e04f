import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ClickEvent, validateEvent } from '../event.schema';
import { CsvFormat } from './csv-formats';
import { CsvHeaderError } from './csv-header';
import { CsvRowEvent, readCsvEvents } from './read-csv-events';

const FIXTURES = join(__dirname, '..', '..', 'test', 'csv-fixtures');
const fixture = (name: string) => join(FIXTURES, name);
const NOW = Date.parse('2025-01-01T00:00:00Z');

async function readAll(
  input: Readable | string | Buffer,
  format: CsvFormat | 'auto',
): Promise<CsvRowEvent[]> {
  const items: CsvRowEvent[] = [];
  for await (const item of readCsvEvents(input, format)) items.push(item);
  return items;
}

/** Validated events with their row, minus the per-run fields (event_id, received_at). */
function contractEvents(items: CsvRowEvent[]): ({ row: number } & Partial<ClickEvent>)[] {
  return items.map((item) => {
    if (item.issue) throw new Error(`row ${item.row}: ${JSON.stringify(item.issue)}`);
    const result = validateEvent(item.input, { now: NOW });
    if (!result.ok) throw new Error(`row ${item.row}: ${JSON.stringify(result.errors)}`);
    const { event_id: _id, received_at: _at, ...event } = result.event;
    return { row: item.row, ...event };
  });
}

describe('readCsvEvents: REES46 (real rows)', () => {
  const common = { quantity: 1, currency: 'USD', properties: {} };

  it('maps views, carts and purchases to contract events', async () => {
    const items = await readAll(createReadStream(fixture('rees46-sample.csv')), 'rees46');
    expect(contractEvents(items)).toEqual([
      {
        row: 1,
        event_time: '2019-10-01T00:00:00.000Z',
        event_type: 'view',
        user_id: '541312140',
        client_session_id: '72d76fde-8bb3-4e00-8c23-a032dfed738c',
        product_id: '44600062',
        category_id: '2103807459595387724',
        brand: 'shiseido',
        price: 35.79,
        ...common,
      },
      {
        row: 2,
        event_time: '2019-10-01T00:00:01.000Z',
        event_type: 'view',
        user_id: '519107250',
        client_session_id: '566511c2-e2e3-422b-b695-cf8e6e792ca8',
        product_id: '17200506',
        category_id: '2053013559792632471',
        category_code: 'furniture.living_room.sofa',
        price: 543.1,
        ...common,
      },
      {
        row: 3,
        event_time: '2019-10-01T00:02:14.000Z',
        event_type: 'purchase',
        user_id: '543272936',
        client_session_id: '8187d148-3c41-46d4-b0c0-9c08cd9dc564',
        product_id: '1004856',
        category_id: '2053013555631882655',
        category_code: 'electronics.smartphone',
        brand: 'samsung',
        price: 130.76,
        ...common,
      },
      {
        row: 4,
        event_time: '2019-10-01T00:05:14.000Z',
        event_type: 'cart',
        user_id: '550121407',
        client_session_id: '6f623695-9581-4633-813f-825b8760c7ae',
        product_id: '5100816',
        category_id: '2053013553375346967',
        brand: 'xiaomi',
        price: 29.51,
        ...common,
      },
      {
        row: 5,
        event_time: '2019-10-01T00:09:33.000Z',
        event_type: 'cart',
        user_id: '524325294',
        client_session_id: '0b74a829-f9d7-4654-b5b0-35bc9822c238',
        product_id: '1002524',
        category_id: '2053013555631882655',
        category_code: 'electronics.smartphone',
        brand: 'apple',
        price: 515.67,
        ...common,
      },
      {
        row: 6,
        event_time: '2019-10-01T00:10:08.000Z',
        event_type: 'purchase',
        user_id: '524325294',
        client_session_id: '0b74a829-f9d7-4654-b5b0-35bc9822c238',
        product_id: '1002524',
        category_id: '2053013555631882655',
        category_code: 'electronics.smartphone',
        brand: 'apple',
        price: 515.67,
        ...common,
      },
      {
        row: 7,
        event_time: '2019-10-01T00:11:00.000Z',
        event_type: 'cart',
        user_id: '533624186',
        client_session_id: 'e5ac3caa-e6d5-4d6b-ae06-2c18cd9ca683',
        product_id: '4804056',
        category_id: '2053013554658804075',
        category_code: 'electronics.audio.headphone',
        brand: 'apple',
        price: 161.98,
        ...common,
      },
    ]);
  });

  it('gives the same ClickEvent for a CSV row and the equivalent JSON object', async () => {
    const [item] = await readAll(readFileSync(fixture('rees46-sample.csv')), 'rees46');
    const json = JSON.parse(`{
      "event_time": "2019-10-01 00:00:00 UTC", "event_type": "view", "product_id": 44600062,
      "category_id": "2103807459595387724", "brand": "shiseido", "price": 35.79,
      "user_id": 541312140, "session_id": "72d76fde-8bb3-4e00-8c23-a032dfed738c"
    }`);
    const opts = { now: NOW, receivedAt: '2025-01-01T00:00:00.000Z', newId: () => 'same-id' };
    const fromCsv = validateEvent(item.input, opts);
    expect(fromCsv.ok).toBe(true);
    expect(fromCsv).toEqual(validateEvent(json, opts));
  });
});

describe('readCsvEvents: Retailrocket (real rows)', () => {
  it('maps views, addtocart and transactions (with transactionid) to contract events', async () => {
    const items = await readAll(
      createReadStream(fixture('retailrocket-sample.csv')),
      'retailrocket',
    );
    const common = { quantity: 1, currency: 'USD' };
    expect(contractEvents(items)).toEqual([
      {
        row: 1,
        event_time: '2015-06-01T21:12:12.535Z',
        event_type: 'view',
        user_id: '1134473',
        product_id: '396045',
        properties: { datetime: '2015-06-01 21:12:12.535' },
        ...common,
      },
      {
        row: 2,
        event_time: '2015-06-01T17:13:22.896Z',
        event_type: 'view',
        user_id: '39027',
        product_id: '26210',
        properties: { datetime: '2015-06-01 17:13:22.896' },
        ...common,
      },
      {
        row: 3,
        event_time: '2015-06-01T17:29:06.399Z',
        event_type: 'cart',
        user_id: '39027',
        product_id: '271101',
        properties: { datetime: '2015-06-01 17:29:06.399' },
        ...common,
      },
      {
        row: 4,
        event_time: '2015-06-04T18:00:54.985Z',
        event_type: 'purchase',
        user_id: '1207981',
        product_id: '350734',
        properties: { transactionid: '8693.0', datetime: '2015-06-04 18:00:54.985' },
        ...common,
      },
      {
        row: 5,
        event_time: '2015-06-04T17:58:34.651Z',
        event_type: 'cart',
        user_id: '1207981',
        product_id: '350734',
        properties: { datetime: '2015-06-04 17:58:34.651' },
        ...common,
      },
      {
        row: 6,
        event_time: '2015-06-04T19:26:28.177Z',
        event_type: 'cart',
        user_id: '763580',
        product_id: '257115',
        properties: { datetime: '2015-06-04 19:26:28.177' },
        ...common,
      },
      {
        row: 7,
        event_time: '2015-06-04T19:29:15.080Z',
        event_type: 'purchase',
        user_id: '763580',
        product_id: '257115',
        properties: { transactionid: '15026.0', datetime: '2015-06-04 19:29:15.080' },
        ...common,
      },
    ]);
  });
});

describe('readCsvEvents: clicks', () => {
  it('yields one click per click, each with its row, and none for 0 clicks', async () => {
    const items = await readAll(readFileSync(fixture('clicks-sample.csv'), 'utf8'), 'clicks');
    const click = (row: number, event_time: string, user_id: string) => ({
      row,
      event_time,
      event_type: 'click',
      user_id,
      quantity: 1,
      currency: 'USD',
      properties: {},
    });
    expect(contractEvents(items)).toEqual([
      click(1, '2024-03-01T10:00:00.000Z', 'u1001'),
      click(1, '2024-03-01T10:00:00.000Z', 'u1001'),
      click(1, '2024-03-01T10:00:00.000Z', 'u1001'),
      click(2, '2024-03-01T10:00:05.000Z', 'u1002'),
      click(4, '2024-03-01T09:00:15.000Z', 'u1003'),
      click(4, '2024-03-01T09:00:15.000Z', 'u1003'),
    ]);
  });

  it('reports a bad Clicks count as a row issue and goes on', async () => {
    const csv = 'Timestamp,User_ID,Clicks\n2024-03-01T10:00:00Z,u1,x\n2024-03-01T10:00:00Z,u2,1\n';
    expect(await readAll(csv, 'clicks')).toEqual([
      {
        row: 1,
        issue: { field: 'Clicks', message: 'must be an integer from 0 to 10000 (got "x")' },
      },
      { row: 2, input: { event_type: 'click', event_time: '2024-03-01T10:00:00Z', user_id: 'u2' } },
    ]);
  });
});

describe('readCsvEvents: format=auto', () => {
  it.each([
    ['rees46-sample.csv', 'rees46'],
    ['retailrocket-sample.csv', 'retailrocket'],
    ['clicks-sample.csv', 'clicks'],
  ] as const)('reads %s exactly as format %s does', async (file, format) => {
    const auto = await readAll(createReadStream(fixture(file)), 'auto');
    expect(auto.length).toBeGreaterThan(0);
    expect(auto).toEqual(await readAll(createReadStream(fixture(file)), format));
  });

  it('fails with a clear error naming the header when no format matches', async () => {
    const csv = 'eventId,eventType,timestamp,userId\n1,pageView,1496311260,ceaton\n';
    const read = readAll(csv, 'auto');
    await expect(read).rejects.toThrow(CsvHeaderError);
    await expect(readAll(csv, 'auto')).rejects.toThrow(
      'CSV header "eventId,eventType,timestamp,userId" matches no known format; expected the columns of ' +
        'rees46 (event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session), ' +
        'retailrocket (timestamp,visitorid,event,itemid,transactionid), clicks (Timestamp,User_ID,Clicks)',
    );
  });
});

describe('readCsvEvents: headers and rows', () => {
  it('names the missing columns when the header does not fit the requested format', async () => {
    const csv = 'timestamp,visitorid,event,itemid\n1433193132535,1,view,2\n';
    await expect(readAll(csv, 'retailrocket')).rejects.toThrow(
      'CSV header "timestamp,visitorid,event,itemid" lacks column(s) transactionid of format retailrocket',
    );
  });

  it('rejects an unknown format before reading', async () => {
    await expect(readAll('a\n1\n', 'csv' as CsvFormat)).rejects.toThrow(RangeError);
  });

  it('yields nothing for an empty input', async () => {
    expect(await readAll('', 'auto')).toEqual([]);
  });

  it('handles a BOM, CRLF line ends, blank lines, quoted cells and empty cells', async () => {
    const csv =
      '\uFEFFevent_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\r\n' +
      '\r\n' +
      '2019-10-01 00:00:00 UTC,view,1,2,,"brand, inc",,541312140,\r\n';
    expect(await readAll(Buffer.from(csv), 'auto')).toEqual([
      {
        row: 1,
        input: {
          event_time: '2019-10-01 00:00:00 UTC',
          event_type: 'view',
          product_id: '1',
          category_id: '2',
          brand: 'brand, inc',
          user_id: '541312140',
        },
      },
    ]);
  });

  it('reports a row with the wrong number of fields and goes on', async () => {
    const csv =
      'Timestamp,User_ID,Clicks\n2024-03-01T10:00:00Z,u1,1,extra\n2024-03-01T10:00:00Z\n2024-03-01T10:00:00Z,u3,1\n';
    const items = await readAll(csv, 'clicks');
    expect(items).toEqual([
      { row: 1, issue: { field: '(root)', message: 'must have 3 fields like the header (got 4)' } },
      { row: 2, issue: { field: '(root)', message: 'must have 3 fields like the header (got 1)' } },
      { row: 3, input: { event_type: 'click', event_time: '2024-03-01T10:00:00Z', user_id: 'u3' } },
    ]);
  });

  it('streams: rows arrive before the input ends', async () => {
    const source = new Readable({ read() {} });
    const rows = readCsvEvents(source, 'clicks');
    // csv-parse looks one character past a line end before it emits the row, hence the "2024".
    source.push('Timestamp,User_ID,Clicks\n2024-03-01T10:00:00Z,u1,1\n2024');
    const first = await rows.next();
    expect(first.value).toMatchObject({ row: 1, input: { user_id: 'u1' } });
    source.push('-03-01T10:00:00Z,u2,1\n');
    source.push(null);
    expect((await rows.next()).value).toMatchObject({ row: 2, input: { user_id: 'u2' } });
    expect((await rows.next()).done).toBe(true);
  });

  it('surfaces an error of the source stream', async () => {
    const source = new Readable({
      read() {
        this.destroy(new Error('disk on fire'));
      },
    });
    await expect(readAll(source, 'auto')).rejects.toThrow('disk on fire');
  });

  it('surfaces broken CSV as csv-parse reports it', async () => {
    await expect(readAll('Timestamp,User_ID,Clicks\n"2024,u1,1\n', 'clicks')).rejects.toThrow(
      /Quote Not Closed/,
    );
  });
});
