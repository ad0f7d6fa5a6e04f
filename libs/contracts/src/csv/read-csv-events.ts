import { CsvError, parse } from 'csv-parse';
import { Readable, pipeline } from 'node:stream';
import type { ClickEventInput } from '../event.schema';
import { ROOT_FIELD, ValidationIssue } from '../validation-issue';
import {
  CSV_FORMATS,
  CsvFormat,
  CsvRecord,
  CsvRowError,
  csvColumnNames,
  isCsvFormat,
  mapCsvRow,
} from './csv-formats';
import { resolveFormat } from './csv-header';

/**
 * One contract input read from a CSV row (`row` is the 1-based data row, header not counted),
 * or the reason the row gives none: a wrong number of fields or a bad `Clicks` count.
 * A clicks row yields one item per click, all with the same `row`.
 */
export type CsvRowEvent =
  | { row: number; input: ClickEventInput; issue?: undefined }
  | { row: number; input?: undefined; issue: ValidationIssue };

/**
 * The CSV itself is broken (an unclosed quote, a row over the size limit, ...): reading stops here.
 * `line` is where the broken record starts (1-based, header included), `row` its data row.
 */
export class CsvSyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly row: number,
    readonly reason: string,
  ) {
    super(`malformed CSV at line ${line} (data row ${row}): ${reason}`);
    this.name = 'CsvSyntaxError';
  }
}

// A row longer than this is not a clickstream row; stop rather than buffer it.
const MAX_RECORD_SIZE = 1024 * 1024;

export interface ReadCsvOptions {
  /** Longest record (row) the parser buffers before it gives up with a CsvSyntaxError. Default 1 MiB. */
  maxRecordBytes?: number;
}

/**
 * Streams contract inputs out of a CSV with a header row, one row at a time (the file is never
 * held in memory). Inputs are not validated: pass each to validateEvent. Throws CsvHeaderError
 * before the first item when the header does not fit, and CsvSyntaxError on broken CSV.
 */
export async function* readCsvEvents(
  input: Readable | string | Buffer,
  format: CsvFormat | 'auto',
  options: ReadCsvOptions = {},
): AsyncGenerator<CsvRowEvent, void, undefined> {
  try {
    yield* readRows(input, format, options.maxRecordBytes ?? MAX_RECORD_SIZE);
  } catch (error) {
    if (error instanceof CsvError) throw syntaxError(error, input);
    throw error;
  }
}

async function* readRows(
  input: Readable | string | Buffer,
  format: CsvFormat | 'auto',
  maxRecordBytes: number,
): AsyncGenerator<CsvRowEvent, void, undefined> {
  if (format !== 'auto' && !isCsvFormat(format)) {
    throw new RangeError(
      `unknown CSV format ${JSON.stringify(format)}; use one of ${CSV_FORMATS.join(', ')} or auto`,
    );
  }
  const parser = parse({
    bom: true,
    trim: true,
    skip_empty_lines: true,
    relax_column_count: true, // a short or long row becomes one row issue, not the end of the import
    max_record_size: maxRecordBytes,
  });
  const source =
    typeof input === 'string' || Buffer.isBuffer(input) ? Readable.from([input]) : input;
  // Errors of the source or the parser surface through the parser's iterator below.
  pipeline(source, parser, () => undefined);

  // Rows come as arrays and the header is handled here: cheaper than csv-parse's `columns` + `info`.
  let resolved: CsvFormat | undefined;
  let columns: (string | false)[] = [];
  let row = 0;
  for await (const fields of parser as AsyncIterable<string[]>) {
    if (resolved === undefined) {
      resolved = resolveFormat(format, fields);
      columns = csvColumnNames(resolved, fields);
      continue;
    }
    row += 1;
    if (fields.length !== columns.length) {
      yield { row, issue: fieldCountIssue(columns.length, fields.length) };
      continue;
    }
    yield* rowEvents(resolved, toRecord(columns, fields), row);
  }
}

/**
 * csv-parse reports where it noticed the problem (for an unclosed quote: the end of the input); the
 * broken record starts at its byte offset, so for an in-memory input the line is counted up to it.
 */
function syntaxError(error: CsvError, input: Readable | string | Buffer): CsvSyntaxError {
  const info = error as CsvError & { bytes?: number; lines?: number; records?: number };
  // `records` counts the header, so it is also the 1-based number of the broken data row.
  const row = Math.max(1, info.records ?? 1);
  let line = info.lines ?? 0;
  if (typeof input === 'string' || Buffer.isBuffer(input)) {
    const bytes = typeof input === 'string' ? Buffer.from(input) : input;
    line = 1 + countNewlines(bytes, Math.min(info.bytes ?? 0, bytes.length));
  }
  return new CsvSyntaxError(line, row, error.message);
}

function countNewlines(bytes: Buffer, end: number): number {
  let n = 0;
  for (let i = bytes.indexOf(10); i !== -1 && i < end; i = bytes.indexOf(10, i + 1)) n++;
  return n;
}

function toRecord(columns: readonly (string | false)[], fields: readonly string[]): CsvRecord {
  const record: Record<string, string> = {};
  for (let i = 0; i < columns.length; i++) {
    const column = columns[i];
    if (column !== false) record[column] = fields[i];
  }
  return record;
}

function* rowEvents(format: CsvFormat, record: CsvRecord, row: number): Generator<CsvRowEvent> {
  let inputs: ClickEventInput[];
  try {
    inputs = mapCsvRow(format, record);
  } catch (error) {
    if (!(error instanceof CsvRowError)) throw error;
    yield { row, issue: error.issue };
    return;
  }
  for (const input of inputs) yield { row, input };
}

function fieldCountIssue(expected: number, got: number): ValidationIssue {
  return {
    field: ROOT_FIELD,
    message: `must have ${expected} fields like the header (got ${got})`,
  };
}
