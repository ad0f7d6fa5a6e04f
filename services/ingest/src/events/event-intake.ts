import { ClickEvent, DeadLetterRecord, ROOT_FIELD, validateEvent, validationDeadLetter, ValidationIssue } from '@clickstream/contracts';

export interface RejectedEvent {
  index: number;
  field: string;
  message: string;
}

export interface Intake {
  accepted: ClickEvent[];
  /** The request index of each accepted event. */
  acceptedAt: number[];
  rejected: RejectedEvent[];
  deadLetters: DeadLetterRecord[];
}

export interface IntakeOptions {
  now: number;
  maxFutureMs: number;
  source: string;
}

/** An item that failed before validation (e.g. an NDJSON line that is not JSON). */
export class UnparsedItem {
  constructor(
    readonly raw: string,
    readonly issue: ValidationIssue,
  ) {}
}

/**
 * Validates a request's items with the contract, in order. Pure: the controller does the I/O.
 * Every rejected item yields one `{index, field, message}` (its first issue) and one DLQ record
 * carrying the original payload and all issues.
 */
export function intake(items: readonly unknown[], o: IntakeOptions): Intake {
  const receivedAt = new Date(o.now).toISOString();
  const out: Intake = { accepted: [], acceptedAt: [], rejected: [], deadLetters: [] };
  for (let index = 0; index < items.length; index++) {
    const item = items[index];
    if (item instanceof UnparsedItem) {
      reject(out, index, item.raw, [item.issue], o);
      continue;
    }
    const result = validateEvent(item, { now: o.now, maxFutureMs: o.maxFutureMs, receivedAt });
    if (!result.ok) {
      reject(out, index, item, result.errors, o);
      continue;
    }
    out.accepted.push(result.event);
    out.acceptedAt.push(index);
  }
  return out;
}

function reject(out: Intake, index: number, original: unknown, errors: readonly ValidationIssue[], o: IntakeOptions): void {
  const first = errors[0];
  out.rejected.push({ index, field: first.field, message: first.message });
  out.deadLetters.push(validationDeadLetter(original, errors, { source: o.source, now: o.now }));
}

/** Splits an NDJSON body into items; a line that is not JSON becomes an UnparsedItem. */
export function parseNdjson(body: string): unknown[] {
  const items: unknown[] = [];
  let start = 0;
  while (start <= body.length) {
    let end = body.indexOf('\n', start);
    if (end === -1) end = body.length;
    const line = body.slice(start, end).trim();
    start = end + 1;
    if (line.length === 0) continue;
    try {
      items.push(JSON.parse(line));
    } catch (err) {
      items.push(new UnparsedItem(line, { field: ROOT_FIELD, message: `is not valid JSON (${(err as Error).message})` }));
    }
  }
  return items;
}

/**
 * The UTF-8 size of a record value when it is over `maxBytes`, else undefined. UTF-8 takes at most
 * 3 bytes per UTF-16 unit, so only a long string is counted (the hot path stays a length check).
 */
export function bytesOver(value: string, maxBytes: number): number | undefined {
  if (value.length * 3 <= maxBytes) return undefined;
  const bytes = Buffer.byteLength(value);
  return bytes > maxBytes ? bytes : undefined;
}
