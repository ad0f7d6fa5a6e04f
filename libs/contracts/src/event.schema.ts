import { z } from 'zod';
import { newEventId } from './event-id';
import {
  EVENT_TIME_PATTERN,
  MAX_EVENT_TIME_MS,
  formatEventTime,
  parseEventTime,
} from './event-time';
import { EVENT_TYPES, EVENT_TYPE_INPUTS, toCanonicalEventType } from './event-types';
import {
  MAX_PROPERTIES_DEPTH,
  STORABLE_TEXT,
  findUnstorable,
  isStorableText,
  unstorableKey,
  utf8BytesOver,
} from './storable-value';
import { ROOT_FIELD, ValidationIssue, fieldPath, mustBe } from './validation-issue';

/**
 * The event contract v1 (SPEC §2). `clickEventSchema` is the only place its rules are written:
 * validateEvent parses with it (so it produces every validation message), ClickEventInput and
 * ClickEvent are derived from it, and clickEventJsonSchema is generated from it.
 * Only the future bound and the stored size live outside it: they depend on the caller's clock and
 * configuration, and on the normalised form.
 *
 * Every rule keeps an accepted event storable by every processor (SPEC §2): one value Postgres
 * refuses would fail a processor's whole commit, again on every retry, and stall its partition.
 */

export const CONTRACT_VERSION = 1;
/** event_time may be this far after received_at: a skewed clock must not move a watermark ahead. */
export const DEFAULT_MAX_FUTURE_MS = 5 * 60 * 1000;
/** Largest event as stored (its JSON on clickstream.events.v1, in UTF-8 bytes). */
export const DEFAULT_MAX_EVENT_BYTES = 64 * 1024;
/**
 * Bounds that keep sums storable: a purchase adds at most 1e9 × 1e6 = 1e15 (1e17 cents), so even
 * 2^63 events sum to less than 1e34, inside the numeric(38,2) revenue columns.
 */
export const MAX_PRICE = 1_000_000_000;
export const MAX_QUANTITY = 1_000_000;
export const DEFAULT_QUANTITY = 1;
export const DEFAULT_CURRENCY = 'USD';

const MAX_ID_LENGTH = 128;
const MAX_NAME_LENGTH = 256;
const MAX_IP_LENGTH = 64;
const MAX_USER_AGENT_LENGTH = 2048;
const MAX_URL_LENGTH = 8192;

/** zod params that turn every issue of a field into `must be <expectation> (got ...)`/`is required`. */
function rule(expectation: string) {
  return { error: (issue: { input?: unknown }) => mustBe(expectation, issue.input) };
}

const textRule = rule(STORABLE_TEXT);

/** A string of at most `max` characters that Postgres can store (the union's message otherwise). */
function text(r: ReturnType<typeof rule>, max: number, min = 0) {
  return z.string(r).min(min, r).max(max, r).refine(isStorableText, textRule);
}

/** Required id: a string, or an integer id as CSV/Retailrocket sources send (stringified later). */
function requiredId(max: number) {
  const r = rule(`a string of 1–${max} characters or an integer`);
  return z.union([text(r, max, 1), z.int(r)], r);
}

/** Optional string that may also come as an integer id; null and "" mean absent. */
function optionalIdOrText(max: number) {
  // z.int() is the safe-integer range: a larger JSON number has already lost digits, so reject it.
  const r = rule(`a string of at most ${max} characters or an integer`);
  return z.union([text(r, max), z.int(r)], r).nullish();
}

/** Optional free text; null and "" mean absent (CSV cells, `document.referrer` of a direct visit). */
function optionalText(max: number) {
  return text(rule(`a string of at most ${max} characters`), max).nullish();
}

const eventTimeRule = rule(
  'ISO-8601 with an offset or Z, "YYYY-MM-DD HH:MM:SS UTC", or epoch milliseconds',
);

/** Any of the three event-time forms, parsed to epoch milliseconds once, here. */
const eventTime = z
  .union(
    [
      z.string(eventTimeRule).regex(EVENT_TIME_PATTERN, eventTimeRule),
      z.int(eventTimeRule).min(0, eventTimeRule).max(MAX_EVENT_TIME_MS, eventTimeRule),
    ],
    eventTimeRule,
  )
  .transform((value, ctx) => {
    const epochMs = parseEventTime(value);
    if (epochMs !== undefined) return epochMs;
    // The shape matched the pattern but the date does not exist (Feb 30, hour 25, ...).
    ctx.issues.push({
      code: 'custom',
      input: value,
      message: mustBe('a valid calendar date and time', value),
    });
    return z.NEVER;
  });

const eventIdRule = rule(`a string of 1–${MAX_ID_LENGTH} characters`);
const eventTypeRule = rule(`one of ${EVENT_TYPES.join(', ')}`);
const priceRule = rule(`a number from 0 to ${MAX_PRICE}`);
const quantityRule = rule(`an integer from 1 to ${MAX_QUANTITY}`);
const currencyRule = rule('an ISO-4217 code of 3 upper-case letters');
const countryRule = rule('an ISO-3166 alpha-2 code of 2 letters');
const propertiesRule = rule('an object');

const fields = {
  event_id: text(eventIdRule, MAX_ID_LENGTH, 1)
    .nullish()
    .meta({ description: 'Idempotency key. Ingest assigns a ULID when absent.' }),
  event_time: eventTime.meta({
    description:
      'When the event happened: ISO-8601 with an offset or Z, "YYYY-MM-DD HH:MM:SS UTC", or epoch ms. ' +
      'Stored as UTC; more than 5 min (cfg) after received_at is invalid.',
  }),
  event_type: z.enum(EVENT_TYPE_INPUTS, eventTypeRule).meta({
    description:
      'Canonical type or alias (add_to_cart, addtocart -> cart; transaction -> purchase; pageView -> page_view).',
  }),
  user_id: requiredId(MAX_ID_LENGTH).meta({
    description:
      'Kafka message key: all events of a user go to one partition. Integers are stringified.',
  }),
  session_id: optionalText(MAX_ID_LENGTH).meta({
    description:
      "The client's own session id (e.g. REES46 user_session); kept as client_session_id.",
  }),
  product_id: optionalIdOrText(MAX_ID_LENGTH),
  category_id: optionalIdOrText(MAX_ID_LENGTH),
  category_code: optionalIdOrText(MAX_NAME_LENGTH),
  brand: optionalIdOrText(MAX_NAME_LENGTH),
  price: z
    .number(priceRule)
    .min(0, priceRule)
    .max(MAX_PRICE, priceRule)
    .nullish()
    .meta({ description: 'Unit price. A purchase without a price adds nothing to revenue.' }),
  quantity: z
    .int(quantityRule)
    .min(1, quantityRule)
    .max(MAX_QUANTITY, quantityRule)
    .nullish()
    .default(DEFAULT_QUANTITY),
  currency: z
    .string(currencyRule)
    .regex(/^[A-Z]{3}$/, currencyRule)
    .nullish()
    .default(DEFAULT_CURRENCY),
  ip: optionalText(MAX_IP_LENGTH),
  country: z
    .string(countryRule)
    .regex(/^[A-Za-z]{2}$/, countryRule)
    .nullish()
    .meta({ description: 'ISO-3166 alpha-2; stored in upper case.' }),
  user_agent: optionalText(MAX_USER_AGENT_LENGTH),
  page_url: optionalText(MAX_URL_LENGTH),
  referrer: optionalText(MAX_URL_LENGTH),
  properties: z
    .record(z.string(), z.unknown(), propertiesRule)
    .superRefine((properties, ctx) => reportUnstorable(ctx, [], findUnstorable(properties, 1)))
    .nullish()
    .meta({
      description:
        `Free-form attributes, at most ${MAX_PROPERTIES_DEPTH} levels deep (this object is level 1). ` +
        'Unknown top-level fields are merged into it.',
    }),
};

type RefinementContext = z.core.$RefinementCtx<unknown>;

function reportUnstorable(
  ctx: RefinementContext,
  at: PropertyKey[],
  found: ReturnType<typeof findUnstorable>,
): void {
  if (found) ctx.addIssue({ code: 'custom', path: [...at, ...found.path], message: found.message });
}

/**
 * Unknown top-level fields end up in `properties` (as level 2), so they obey its rules. One issue
 * at most: a payload of a million bad fields must not make a million-issue DLQ record.
 */
function checkUnknownFields(event: Record<string, unknown>, ctx: RefinementContext): void {
  for (const key in event) {
    if (CONTRACT_FIELDS.has(key)) continue;
    if (!isStorableText(key)) {
      ctx.addIssue({ code: 'custom', path: [], message: unstorableKey(key) });
      return;
    }
    const found = findUnstorable(event[key], 2);
    if (found) return reportUnstorable(ctx, [key], found);
  }
}

const CONTRACT_FIELDS: ReadonlySet<string> = new Set(Object.keys(fields));

/** Contract v1 input: unknown fields are allowed (loose) and end up in `properties`. */
export const clickEventSchema = z
  .object(fields, rule('a JSON object'))
  .loose()
  .superRefine(checkUnknownFields)
  .meta({
    title: 'Clickstream event (contract v1)',
    description:
      'One e-commerce clickstream event as clients send it to ingest. Unknown fields are kept in ' +
      '`properties`. Every string, properties keys included, is text without NUL (U+0000) or lone ' +
      'surrogates, and the event is at most 64 KiB (cfg) as stored.',
  });

/** What clients send (after ingest's CSV mapping too). Unknown fields are allowed. */
export type ClickEventInput = z.input<typeof clickEventSchema>;

type ParsedEvent = z.output<typeof clickEventSchema>;

/** The normalised event, as published on clickstream.events.v1. */
export type ClickEvent = OptionalWhenUndefined<ReturnType<typeof toClickEvent>>;

type OptionalWhenUndefined<T> = Simplify<
  { [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & {
    [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>;
  }
>;
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** Builds the stored form. Every key is always set (undefined when absent) so all events share one shape. */
function toClickEvent(event: ParsedEvent, eventId: string, receivedAt: string) {
  return {
    event_id: eventId,
    event_time: formatEventTime(event.event_time),
    event_type: toCanonicalEventType(event.event_type),
    user_id: String(event.user_id),
    client_session_id: presentText(event.session_id),
    product_id: presentText(event.product_id),
    category_id: presentText(event.category_id),
    category_code: presentText(event.category_code),
    brand: presentText(event.brand),
    price: event.price ?? undefined,
    quantity: event.quantity ?? DEFAULT_QUANTITY,
    currency: event.currency ?? DEFAULT_CURRENCY,
    ip: presentText(event.ip),
    country: event.country ? event.country.toUpperCase() : undefined,
    user_agent: presentText(event.user_agent),
    page_url: presentText(event.page_url),
    referrer: presentText(event.referrer),
    properties: collectProperties(event),
    received_at: receivedAt,
  };
}

function presentText(value: string | number | null | undefined): string | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  return String(value);
}

/** Unknown top-level fields, then the explicit `properties` object (which wins on a name clash). */
function collectProperties(event: ParsedEvent): Record<string, unknown> {
  // zod already dropped any "__proto__" key, so plain assignment cannot swap the prototype.
  const properties: Record<string, unknown> = {};
  for (const key in event) {
    if (!CONTRACT_FIELDS.has(key)) properties[key] = event[key];
  }
  if (event.properties) Object.assign(properties, event.properties);
  return properties;
}

export interface ValidateEventOptions {
  /** Clock for the future bound and the default received_at (epoch ms). Default Date.now(). */
  now?: number;
  /** How far after `now` an event_time may be. Default 5 min. */
  maxFutureMs?: number;
  /** Largest event as stored: its JSON in UTF-8 bytes. Default 64 KiB. */
  maxEventBytes?: number;
  /** received_at to stamp (ISO UTC). Default: `now` as ISO. Ingest passes one per request. */
  receivedAt?: string;
  /** event_id factory for events without one. Default: a ULID. */
  newId?: () => string;
}

export type ValidationResult =
  /**
   * `json`: the event as stored, i.e. the value to publish on clickstream.events.v1. `assignedId`:
   * the event came without an id and got a new one (publish it with ASSIGNED_EVENT_ID_HEADER).
   */
  | { ok: true; event: ClickEvent; json: string; assignedId: boolean }
  | { ok: false; errors: ValidationIssue[] };

const NO_OPTIONS: ValidateEventOptions = {};

/**
 * Validates and normalises one event of contract v1. Never throws. Each issue names the field
 * (dotted path, `(root)` for the payload) and the bad value.
 */
export function validateEvent(
  raw: unknown,
  opts: ValidateEventOptions = NO_OPTIONS,
): ValidationResult {
  const parsed = clickEventSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, errors: toValidationIssues(parsed.error.issues) };

  const event = parsed.data;
  const now = opts.now ?? Date.now();
  const maxFutureMs = opts.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS;
  if (event.event_time > now + maxFutureMs) {
    return {
      ok: false,
      errors: [futureIssue((raw as { event_time?: unknown }).event_time, maxFutureMs)],
    };
  }

  const assignedId = !event.event_id;
  const eventId = assignedId ? (opts.newId ?? newEventId)() : event.event_id!;
  const receivedAt = opts.receivedAt ?? formatEventTime(now);
  const stored = toClickEvent(event, eventId, receivedAt);
  const json = JSON.stringify(stored);
  const maxEventBytes = opts.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
  const bytes = utf8BytesOver(json, maxEventBytes);
  if (bytes !== undefined) return { ok: false, errors: [sizeIssue(bytes, maxEventBytes)] };
  return { ok: true, event: stored, json, assignedId };
}

function toValidationIssues(issues: readonly z.core.$ZodIssue[]): ValidationIssue[] {
  return issues.map((issue) => ({ field: fieldPath(issue.path), message: issue.message }));
}

function futureIssue(value: unknown, maxFutureMs: number): ValidationIssue {
  return {
    field: 'event_time',
    message: mustBe(`at most ${describeDuration(maxFutureMs)} in the future`, value),
  };
}

function sizeIssue(bytes: number, maxEventBytes: number): ValidationIssue {
  return {
    field: ROOT_FIELD,
    message: `must be at most ${maxEventBytes} bytes as stored (got ${bytes} bytes)`,
  };
}

function describeDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${ms} ms`;
}

/** JSON Schema (draft 2020-12) of the input contract, generated from clickEventSchema. */
export const clickEventJsonSchema: Record<string, unknown> = {
  $id: `urn:clickstream:schema:click-event:v${CONTRACT_VERSION}`,
  ...z.toJSONSchema(clickEventSchema, { io: 'input', target: 'draft-2020-12' }),
};
