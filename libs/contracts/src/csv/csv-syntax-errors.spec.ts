import { Readable } from 'node:stream';
import { CsvFormat } from './csv-formats';
import { CsvRowEvent, CsvSyntaxError, ReadCsvOptions, readCsvEvents } from './read-csv-events';

const HEADER = 'Timestamp,User_ID,Clicks\n';
const ROW = '2024-03-01T10:00:00Z,u1,1\n';

async function failure(
  input: Readable | string | Buffer,
  options: ReadCsvOptions = {},
  format: CsvFormat | 'auto' = 'clicks',
): Promise<CsvSyntaxError> {
  const items: CsvRowEvent[] = [];
  try {
    for await (const item of readCsvEvents(input, format, options)) items.push(item);
  } catch (error) {
    if (error instanceof CsvSyntaxError) return error;
    throw error;
  }
  throw new Error(`expected a CsvSyntaxError, read ${items.length} items`);
}

describe('readCsvEvents: broken CSV names the line where the broken record starts', () => {
  it('an unclosed quote: the line it opens on, not the end of the input where parsing stopped', async () => {
    const error = await failure(`${HEADER}${ROW}2024-03-01T10:00:00Z,"u2,1\n${ROW}${ROW}`);
    expect(error).toMatchObject({ line: 3, row: 2 });
    expect(error.message).toMatch(/^malformed CSV at line 3 \(data row 2\): Quote Not Closed/);
  });

  it('a row over maxRecordBytes, after multi-line quoted cells and multi-byte characters', async () => {
    const quotedTwoLines = '2024-03-01T10:00:00Z,"ü\nü",1\n';
    const long = `2024-03-01T10:00:00Z,${'x'.repeat(500)},1\n`;
    const error = await failure(`${HEADER}${quotedTwoLines}\n${long}`, { maxRecordBytes: 200 });
    expect(error).toMatchObject({ line: 5, row: 2 });
    expect(error.message).toMatch(/^malformed CSV at line 5 \(data row 2\): Max Record Size/);
  });

  it('a quote in the middle of a cell', async () => {
    const error = await failure(`${HEADER}${ROW}${ROW}2024-03-01T10:00:00Z,u"3,1\n`);
    expect(error).toMatchObject({ line: 4, row: 3 });
  });

  it('a Buffer input counts the same lines', async () => {
    const error = await failure(Buffer.from(`${HEADER}2024-03-01T10:00:00Z,"u2,1\n${ROW}`));
    expect(error).toMatchObject({ line: 2, row: 1 });
  });

  it('a stream input gets the line where csv-parse noticed the problem', async () => {
    const error = await failure(
      Readable.from([`${HEADER}${ROW}`, `${ROW}2024-03-01T10:00:00Z,u"3,1\n`]),
    );
    expect(error).toMatchObject({ line: 4, row: 3 });
  });

  it('keeps the 1 MiB default record limit', async () => {
    const long = `2024-03-01T10:00:00Z,${'x'.repeat(1024 * 1024)},1\n`;
    expect(await failure(`${HEADER}${long}`)).toMatchObject({ line: 2, row: 1 });
  });
});
