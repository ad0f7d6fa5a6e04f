import { ROOT_FIELD, ValidationIssue, readCsvEvents } from '@clickstream/contracts';
import { ReadStream, createReadStream, statSync } from 'node:fs';
import { Readable, pipeline } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import type { InputFormat } from './args';

/**
 * One event read from the file (`input`, not validated yet), or why its line/row gives none
 * (`issue`: not JSON, wrong number of CSV fields, bad Clicks count). `where` locates it: `line 7`
 * (NDJSON, 1-based), `row 7` (CSV data row, header not counted).
 */
export type SourceItem =
  | { where: string; input: unknown; issue?: undefined }
  | { where: string; input?: undefined; issue: ValidationIssue };

/** A longer line is not an event: stop rather than buffer it. */
const MAX_LINE_CHARS = 16 * 1024 * 1024;

/**
 * Streams NDJSON one line at a time (never the whole file): each non-blank line parsed as JSON.
 * Errors of the stream (unreadable file, broken gzip) are thrown from the iteration.
 */
export async function* readNdjsonEvents(
  input: Readable,
): AsyncGenerator<SourceItem, void, undefined> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let line = 0;
  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    pending += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    let start = 0;
    for (let nl = pending.indexOf('\n'); nl !== -1; nl = pending.indexOf('\n', start)) {
      line += 1;
      const item = parseLine(pending.slice(start, nl), line);
      start = nl + 1;
      if (item) yield item;
    }
    pending = pending.slice(start);
    if (pending.length > MAX_LINE_CHARS) {
      throw new Error(`line ${line + 1} is longer than ${MAX_LINE_CHARS} characters: not NDJSON`);
    }
  }
  pending += decoder.end();
  if (pending.length > 0) {
    const item = parseLine(pending, line + 1);
    if (item) yield item;
  }
}

function parseLine(text: string, line: number): SourceItem | undefined {
  // trim() also drops a CR of CRLF files and a leading byte-order mark.
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const where = `line ${line}`;
  try {
    return { where, input: JSON.parse(trimmed) as unknown };
  } catch (error) {
    return {
      where,
      issue: { field: ROOT_FIELD, message: `is not valid JSON (${(error as Error).message})` },
    };
  }
}

/** The items of a CSV file, through the contracts' mapper (the same one ingest's CSV endpoint uses). */
export async function* readCsvItems(
  input: Readable,
  format: Exclude<InputFormat, 'ndjson'>,
): AsyncGenerator<SourceItem, void, undefined> {
  for await (const item of readCsvEvents(input, format)) {
    const where = `row ${item.row}`;
    yield item.issue ? { where, issue: item.issue } : { where, input: item.input };
  }
}

export interface OpenedSource {
  items: AsyncIterable<SourceItem>;
  /** Size of the file on disk (compressed, for .gz). */
  totalBytes: number;
  /** Bytes of the file read so far: with the events so far, it estimates the total. */
  bytesRead(): number;
  close(): void;
}

/** Opens a file for streaming; `gzip` decompresses on the fly. */
export function openSource(file: string, format: InputFormat, gzip: boolean): OpenedSource {
  const totalBytes = statSync(file).size;
  const raw: ReadStream = createReadStream(file, { highWaterMark: 256 * 1024 });
  let stream: Readable = raw;
  if (gzip) {
    const gunzip = createGunzip();
    // Errors of either end surface through the gunzip stream the reader iterates.
    pipeline(raw, gunzip, () => undefined);
    stream = gunzip;
  }
  return {
    items: format === 'ndjson' ? readNdjsonEvents(stream) : readCsvItems(stream, format),
    totalBytes,
    // Bytes still in the stream's buffer are read from disk but not parsed yet.
    bytesRead: () => Math.max(0, raw.bytesRead - raw.readableLength),
    close: () => {
      stream.destroy();
      raw.destroy();
    },
  };
}
