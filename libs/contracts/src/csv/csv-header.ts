import { CSV_COLUMNS, CSV_FORMATS, CsvFormat } from './csv-formats';

// A CSV's header row: which format it is, or what it lacks of the one asked for.

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

/** The format whose columns the header has, for `?format=auto`; undefined when none fits. */
export function detectCsvFormat(header: readonly string[]): CsvFormat | undefined {
  return CSV_FORMATS.find((format) => missingCsvColumns(format, header).length === 0);
}

/** Columns of `format` the header lacks (case-insensitive, surrounding blanks ignored). */
export function missingCsvColumns(format: CsvFormat, header: readonly string[]): string[] {
  const present = new Set(header.map((name) => name.trim().toLowerCase()));
  return CSV_COLUMNS[format].filter((column) => !present.has(column.toLowerCase()));
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
