import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { openSource, readNdjsonEvents, SourceItem } from './source';

const FIXTURE = join(__dirname, '__fixtures__', 'events.ndjson');
const CSV_FIXTURES = join(__dirname, '..', '..', 'libs', 'contracts', 'test', 'csv-fixtures');

async function all(items: AsyncIterable<SourceItem>): Promise<SourceItem[]> {
  const out: SourceItem[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('readNdjsonEvents', () => {
  it('reads the fixture line by line: events, blank lines skipped, bad JSON located', async () => {
    const source = openSource(FIXTURE, 'ndjson', false);
    const items = await all(source.items);
    expect(items.map((i) => i.where)).toEqual([
      'line 1',
      'line 2',
      'line 4',
      'line 5',
      'line 6',
      'line 7',
      'line 8',
    ]);
    expect(items[0].input).toEqual({
      event_time: '2024-03-01T10:00:00Z',
      event_type: 'page_view',
      user_id: 'u1',
      page_url: 'https://shop.example/',
    });
    expect(items[5]).toEqual({
      where: 'line 7',
      issue: { field: '(root)', message: expect.stringMatching(/^is not valid JSON \(/) },
    });
    expect(items[6].input).toMatchObject({ event_time: 1709287215000, user_id: 42 });
    expect(source.bytesRead()).toBe(source.totalBytes);
  });

  it('handles CRLF, a BOM, no final newline, and lines split across chunks (even inside a character)', async () => {
    const text = '\uFEFF{"a":"é"}\r\n\r\n{"b":2}';
    const bytes = Buffer.from(text);
    // One byte per chunk: every line and the two-byte "é" are split.
    const chunks = [...bytes].map((b) => Buffer.from([b]));
    const items = await all(readNdjsonEvents(Readable.from(chunks)));
    expect(items).toEqual([
      { where: 'line 1', input: { a: 'é' } },
      { where: 'line 3', input: { b: 2 } },
    ]);
  });

  it('keeps going after a bad line, and yields nothing for an empty stream', async () => {
    const items = await all(readNdjsonEvents(Readable.from(['[1,\n', '{"ok":true}\n'])));
    expect(items.map((i) => (i.issue ? 'issue' : 'event'))).toEqual(['issue', 'event']);
    expect(await all(readNdjsonEvents(Readable.from([])))).toEqual([]);
  });

  it('throws the error of the stream', async () => {
    const broken = new Readable({
      read() {
        this.destroy(new Error('disk on fire'));
      },
    });
    await expect(all(readNdjsonEvents(broken))).rejects.toThrow('disk on fire');
  });
});

describe('openSource', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'replay-source-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('decompresses .gz on the fly', async () => {
    const file = join(dir, 'e.ndjson.gz');
    writeFileSync(file, gzipSync('{"n":1}\n{"n":2}\n'));
    expect((await all(openSource(file, 'ndjson', true).items)).map((i) => i.input)).toEqual([
      { n: 1 },
      { n: 2 },
    ]);
  });

  it('fails on a broken .gz', async () => {
    const file = join(dir, 'bad.ndjson.gz');
    writeFileSync(file, 'not gzip at all');
    await expect(all(openSource(file, 'ndjson', true).items)).rejects.toThrow(
      /incorrect header check/,
    );
  });

  it('maps CSV rows with the contracts mapper (format from the header), rows located', async () => {
    const items = await all(
      openSource(join(CSV_FIXTURES, 'clicks-sample.csv'), 'auto', false).items,
    );
    // 3 + 1 + 0 + 2 clicks: a row of n clicks gives n events.
    expect(items.map((i) => i.where)).toEqual([
      'row 1',
      'row 1',
      'row 1',
      'row 2',
      'row 4',
      'row 4',
    ]);
    expect(items[0].input).toEqual({
      event_type: 'click',
      event_time: '2024-03-01 10:00:00 UTC',
      user_id: 'u1001',
    });
  });

  it('turns CSV row issues into items, and a wrong header into an error', async () => {
    const file = join(dir, 'clicks.csv');
    writeFileSync(
      file,
      'Timestamp,User_ID,Clicks\n2024-03-01T10:00:00Z,u1,many\n2024-03-01T10:00:00Z,u1\n2024-03-01T10:00:00Z,u2,1\n',
    );
    const items = await all(openSource(file, 'clicks', false).items);
    expect(items).toEqual([
      {
        where: 'row 1',
        issue: { field: 'Clicks', message: expect.stringMatching(/^must be an integer/) },
      },
      {
        where: 'row 2',
        issue: { field: '(root)', message: 'must have 3 fields like the header (got 2)' },
      },
      {
        where: 'row 3',
        input: { event_type: 'click', event_time: '2024-03-01T10:00:00Z', user_id: 'u2' },
      },
    ]);
    await expect(all(openSource(file, 'rees46', false).items)).rejects.toThrow(/lacks column\(s\)/);
  });
});
