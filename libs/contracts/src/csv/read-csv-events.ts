import { parse } from 'csv-parse';
import { Readable, pipeline } from 'node:stream';
import type { ClickEventInput } from '../event.schema';
import { ROOT_FIELD, ValidationIssue } from '../validation-issue';
import {
  CSV_COLUMNS,
  CSV_FORMATS,
  CsvFormat,
  CsvRecord,
  CsvRowError,
  csvColumnNames,
  detectCsvFormat,
  isCsvFormat,
  mapCsvRow,
  missingCsvColumns,
} from './csv-formats';

/**
 * One contract input read from a CSV row (`row` is the 1-based data row, header not counted),
 * or the reason the row gives none: a wrong number of fields or a bad `Clicks` count.
 * A clicks row yields one item per click, all with the same `row`.
 */
export type CsvRowEvent =
  | { row: number; input: ClickEventInput; issue?: undefined }
  | { row: number; input?: undefined; issue: ValidationIssue };

/** The header does not fit the requested format, or (auto) any format. Nothing was read. */
export class CsvHeaderError extends Error {
  constructor(
    message: string,
    readonly header: readonly string[],
  ) {
    super(message);
    this.name = 'CsvHeaderError';
  }
}

// A row longer than this is not a clickstream row; stop rather than buffer it.
const MAX_RECORD_SIZE = 1024 * 1024;

/**
 * Streams contract inputs out of a CSV with a header row, one row at a time (the file is never
 * held in memory). Inputs are not validated: pass each to validateEvent. Throws CsvHeaderError
 * before the first item when the header does not fit, and csv-parse's CsvError on broken CSV.
 */
export async function* readCsvEvents(
  input: Readable | string | Buffer,
  format: CsvFormat | 'auto',
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
    max_record_size: MAX_RECORD_SIZE,
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

/** The format to read the file with, or a CsvHeaderError naming the header and what it lacks. */
export function resolveFormat(format: CsvFormat | 'auto', header: readonly string[]): CsvFormat {
  const shown = JSON.stringify(header.join(','));
  if (format === 'auto') {
    const detected = detectCsvFormat(header);
    if (detected) return detected;
    const expected = CSV_FORMATS.map((name) => `${name} (${CSV_COLUMNS[name].join(',')})`).join(
      ', ',
    );
    throw new CsvHeaderError(
      `CSV header ${shown} matches no known format; expected the columns of ${expected}`,
      header,
    );
  }
  const missing = missingCsvColumns(format, header);
  if (missing.length === 0) return format;
  throw new CsvHeaderError(
    `CSV header ${shown} lacks column(s) ${missing.join(',')} of format ${format} (${CSV_COLUMNS[format].join(',')})`,
    header,
  );
}
