import type { ClickEventInput } from '../event.schema';
import { ValidationIssue, mustBe } from '../validation-issue';

/** CSV sources ingest maps to the contract (SPEC §3). */
export const CSV_FORMATS = ['rees46', 'retailrocket', 'clicks'] as const;
export type CsvFormat = (typeof CSV_FORMATS)[number];

export function isCsvFormat(value: unknown): value is CsvFormat {
  return typeof value === 'string' && (CSV_FORMATS as readonly string[]).includes(value);
}

/** Header columns each format requires, spelled as the source spells them (matched case-insensitively). */
export const CSV_COLUMNS: Readonly<Record<CsvFormat, readonly string[]>> = {
  rees46: [
    'event_time',
    'event_type',
    'product_id',
    'category_id',
    'category_code',
    'brand',
    'price',
    'user_id',
    'user_session',
  ],
  retailrocket: ['timestamp', 'visitorid', 'event', 'itemid', 'transactionid'],
  clicks: ['Timestamp', 'User_ID', 'Clicks'],
};

/** One CSV data row keyed by column name; a missing or empty cell means "absent". */
export type CsvRecord = Readonly<Record<string, string | undefined>>;

/** A clicks row expands to one event per click; this caps what one row can make ingest publish. */
export const MAX_CLICKS_PER_ROW = 10_000;

/** A row that cannot become contract input at all (only a bad `Clicks` count, so far). */
export class CsvRowError extends Error {
  constructor(readonly issue: ValidationIssue) {
    super(`${issue.field} ${issue.message}`);
    this.name = 'CsvRowError';
  }
}

const COLUMN_BY_LOWER_NAME: Readonly<Record<CsvFormat, ReadonlyMap<string, string>>> = {
  rees46: columnsByLowerName('rees46'),
  retailrocket: columnsByLowerName('retailrocket'),
  clicks: columnsByLowerName('clicks'),
};

function columnsByLowerName(format: CsvFormat): ReadonlyMap<string, string> {
  return new Map(CSV_COLUMNS[format].map((column) => [column.toLowerCase(), column]));
}

/**
 * Column names to read a file of `format` with: the format's own spelling for its columns (so
 * `timestamp` and `TIMESTAMP` both map), other names kept for `properties`, unnamed ones skipped.
 */
export function csvColumnNames(format: CsvFormat, header: readonly string[]): (string | false)[] {
  const known = COLUMN_BY_LOWER_NAME[format];
  return header.map((name) => {
    const trimmed = name.trim();
    if (trimmed === '') return false;
    return known.get(trimmed.toLowerCase()) ?? trimmed;
  });
}

/**
 * Contract inputs for one row (keys as {@link csvColumnNames} gives them). Cells are passed on
 * as read, not checked: validateEvent checks them like any JSON event and names the field. A
 * clicks row gives one `click` per click (0 clicks: none); a bad count throws CsvRowError.
 */
export function mapCsvRow(format: CsvFormat, record: CsvRecord): ClickEventInput[] {
  switch (format) {
    case 'rees46':
      return [mapRees46(record)];
    case 'retailrocket':
      return [mapRetailrocket(record)];
    case 'clicks':
      return mapClicks(record);
  }
}

/** A contract field and the source column whose cell it takes, with a conversion if any. */
type CellCopy = readonly [
  field: string,
  column: string,
  convert?: (cell: string | undefined) => unknown,
];

/** REES46 eCommerce: the contract's own field names, plus `user_session` as the client session. */
const REES46_CELLS: readonly CellCopy[] = [
  ['event_time', 'event_time'],
  ['event_type', 'event_type'],
  ['product_id', 'product_id'],
  ['category_id', 'category_id'],
  ['category_code', 'category_code'],
  ['brand', 'brand'],
  ['price', 'price', numberCell],
  ['user_id', 'user_id'],
  ['session_id', 'user_session'],
];

/** Retailrocket: epoch-ms `timestamp`, `visitorid`, `event` (view/addtocart/transaction), `itemid`. */
const RETAILROCKET_CELLS: readonly CellCopy[] = [
  ['event_time', 'timestamp'],
  ['event_type', 'event'],
  ['user_id', 'visitorid'],
  ['product_id', 'itemid'],
];

/** `Timestamp,User_ID,Clicks`: the row's time and user; `Clicks` is the number of events. */
const CLICKS_CELLS: readonly CellCopy[] = [
  ['event_time', 'Timestamp'],
  ['user_id', 'User_ID'],
];

/** Puts each present cell of `cells` into `input`, in the table's order. */
function copyCells(
  input: Record<string, unknown>,
  record: CsvRecord,
  cells: readonly CellCopy[],
): Record<string, unknown> {
  for (const [field, column, convert] of cells) {
    const cell = record[column];
    putCell(input, field, convert ? convert(cell) : cell);
  }
  return input;
}

function mapRees46(record: CsvRecord): ClickEventInput {
  const input = copyCells({}, record, REES46_CELLS);
  putCell(input, 'properties', extraProperties('rees46', record));
  return input as ClickEventInput;
}

function mapRetailrocket(record: CsvRecord): ClickEventInput {
  const input = copyCells({}, record, RETAILROCKET_CELLS);
  const properties = extraProperties('retailrocket', record) ?? {};
  putCell(properties, 'transactionid', record.transactionid);
  putCell(input, 'properties', Object.keys(properties).length > 0 ? properties : undefined);
  return input as ClickEventInput;
}

/** A count of clicks at one time becomes that many `click` events. */
function mapClicks(record: CsvRecord): ClickEventInput[] {
  const count = clickCount(record.Clicks);
  const input = copyCells({ event_type: 'click' }, record, CLICKS_CELLS);
  putCell(input, 'properties', extraProperties('clicks', record));
  return Array.from({ length: count }, () => ({ ...input }) as ClickEventInput);
}

const INTEGER = /^\d+$/;

function clickCount(cell: string | undefined): number {
  const value = presentCell(cell);
  const count = value !== undefined && INTEGER.test(value) ? Number(value) : -1;
  if (count >= 0 && count <= MAX_CLICKS_PER_ROW) return count;
  throw new CsvRowError({
    field: 'Clicks',
    message: mustBe(`an integer from 0 to ${MAX_CLICKS_PER_ROW}`, value),
  });
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A numeric cell as a number; anything else stays the string it was, for the validator to name. */
function numberCell(cell: string | undefined): number | string | undefined {
  const value = presentCell(cell);
  if (value === undefined || !DECIMAL.test(value)) return value;
  return Number(value);
}

/** Cells of columns the format does not know, so nothing in the file is lost. */
function extraProperties(format: CsvFormat, record: CsvRecord): Record<string, string> | undefined {
  const known = COLUMN_BY_LOWER_NAME[format];
  let properties: Record<string, string> | undefined;
  for (const [column, cell] of Object.entries(record)) {
    const value = presentCell(cell);
    if (value === undefined || known.has(column.toLowerCase())) continue;
    properties ??= {};
    properties[column] = value;
  }
  return properties;
}

function presentCell<T>(cell: T | undefined): T | undefined {
  return cell === '' ? undefined : cell;
}

/** Sets `key` only when the cell has a value: empty CSV cells mean "absent", not "". */
function putCell(target: Record<string, unknown>, key: string, cell: unknown): void {
  const value = presentCell(cell);
  if (value !== undefined) target[key] = value;
}
