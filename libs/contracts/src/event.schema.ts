import { z } from 'zod';
import { newEventId } from './event-id';
import {
  EVENT_TIME_PATTERN,
  MAX_EVENT_TIME_MS,
  formatEventTime,
  parseEventTime,
} from './event-time';
import { EVENT_TYPES, EVENT_TYPE_INPUTS, toCanonicalEventType } from './event-types';
import { ValidationIssue, fieldPath, mustBe } from './validation-issue';

/**
 * The event contract v1 (SPEC §2). `clickEventSchema` is the only place its rules are written:
 * validateEvent parses with it (so it produces every validation message), ClickEventInput and
 * ClickEvent are derived from it, and clickEventJsonSchema is generated from it.
 * Only the future bound lives outside it, because it depends on the caller's clock.
 */

export const CONTRACT_VERSION = 1;
export const DEFAULT_MAX_FUTURE_MS = 24 * 60 * 60 * 1000;
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

/** Required id: a string, or an integer id as CSV/Retailrocket sources send (stringified later). */
function requiredId(max: number) {
  const r = rule(`a string of 1–${max} characters or an integer`);
  return z.union([z.string(r).min(1, r).max(max, r), z.int(r)], r);
}

/** Optional string that may also come as an integer id; null and "" mean absent. */
function optionalIdOrText(max: number) {
  // z.int() is the safe-integer range: a larger JSON number has already lost digits, so reject it.
  const r = rule(`a string of at most ${max} characters or an integer`);
  return z.union([z.string(r).max(max, r), z.int(r)], r).nullish();
}

/** Optional free text; null and "" mean absent (CSV cells, `document.referrer` of a direct visit). */
function optionalText(max: number) {
  const r = rule(`a string of at most ${max} characters`);
  return z.string(r).max(max, r).nullish();
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
const priceRule = rule('a number >= 0');
const quantityRule = rule('an integer >= 1');
const currencyRule = rule('an ISO-4217 code of 3 upper-case letters');
const countryRule = rule('an ISO-3166 alpha-2 code of 2 letters');
const propertiesRule = rule('an object');

const fields = {
  event_id: z
    .string(eventIdRule)
    .min(1, eventIdRule)
    .max(MAX_ID_LENGTH, eventIdRule)
    .nullish()
    .meta({ description: 'Idempotency key. Ingest assigns a ULID when absent.' }),
  event_time: eventTime.meta({
    description:
      'When the event happened: ISO-8601 with an offset or Z, "YYYY-MM-DD HH:MM:SS UTC", or epoch ms. ' +
      'Stored as UTC; more than 24 h (cfg) in the future is invalid.',
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
    .nullish()
    .meta({ description: 'Unit price. A purchase without a price adds nothing to revenue.' }),
  quantity: z.int(quantityRule).min(1, quantityRule).nullish().default(DEFAULT_QUANTITY),
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
    .nullish()
    .meta({ description: 'Free-form attributes. Unknown top-level fields are merged into it.' }),
};

/** Contract v1 input: unknown fields are allowed (loose) and end up in `properties`. */
export const clickEventSchema = z.object(fields, rule('a JSON object')).loose().meta({
  title: 'Clickstream event (contract v1)',
  description:
    'One e-commerce clickstream event as clients send it to ingest. Unknown fields are kept in `properties`.',
});

/** What clients send (after ingest's CSV mapping too). Unknown fields are allowed. */
export type ClickEventInput = z.input<typeof clickEventSchema>;

type ParsedEvent = z.output<typeof clickEventSchema>;

const CONTRACT_FIELDS: ReadonlySet<string> = new Set(Object.keys(fields));

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
  /** How far after `now` an event_time may be. Default 24 h. */
  maxFutureMs?: number;
  /** received_at to stamp (ISO UTC). Default: `now` as ISO. Ingest passes one per request. */
  receivedAt?: string;
  /** event_id factory for events without one. Default: a ULID. */
  newId?: () => string;
}

export type ValidationResult =
  { ok: true; event: ClickEvent } | { ok: false; errors: ValidationIssue[] };

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

  const eventId = event.event_id || (opts.newId ?? newEventId)();
  const receivedAt = opts.receivedAt ?? formatEventTime(now);
  return { ok: true, event: toClickEvent(event, eventId, receivedAt) };
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
