import { BadRequestException } from '@nestjs/common';
import { z } from 'zod';
import { decodeCursor } from './cursor';

/** The 400 body: which parameter, what was wrong, and what is accepted. */
export interface ParamErrorBody {
  statusCode: 400;
  error: 'Bad Request';
  parameter: string;
  message: string;
  accepted: string;
}

export class QueryParamError extends BadRequestException {
  constructor(parameter: string, problem: string, accepted: string) {
    const body: ParamErrorBody = {
      statusCode: 400,
      error: 'Bad Request',
      parameter,
      message: `${parameter}: ${problem}; accepted: ${accepted}`,
      accepted,
    };
    super(body);
  }
}

/** How the OpenAPI document shows a query parameter (its name is its key in the spec). */
export interface ParamDoc {
  required: boolean;
  enum?: readonly string[];
  description?: string;
}

/**
 * One query parameter: its zod schema (input is the raw string or undefined), what it accepts, in
 * words, and, for the filters of a list, its OpenAPI entry, so what is documented is what is parsed.
 */
export interface Param<T> {
  schema: z.ZodType<T, string | undefined>;
  accepted: string;
  doc?: ParamDoc;
}

export type ParamSpec = Record<string, Param<unknown>>;
export type ParsedParams<S extends ParamSpec> = {
  [K in keyof S]: S[K] extends Param<infer T> ? T : never;
};

const MAX_SHOWN = 60;

function shown(value: string): string {
  return JSON.stringify(value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value);
}

/**
 * Validates a query string against `spec`: unknown or repeated parameters and bad values are a 400
 * naming the parameter, so a typo (`form=`) never silently widens a query.
 */
export function parseQuery<S extends ParamSpec>(query: unknown, spec: S): ParsedParams<S> {
  const raw = (query ?? {}) as Record<string, unknown>;
  const names = Object.keys(spec);
  for (const name of Object.keys(raw)) {
    if (!Object.hasOwn(spec, name))
      throw new QueryParamError(name, 'unknown parameter', `parameters ${names.join(', ')}`);
  }
  const out: Record<string, unknown> = {};
  for (const name of names) {
    const value = raw[name];
    if (value !== undefined && typeof value !== 'string')
      throw new QueryParamError(name, 'given more than once', spec[name].accepted);
    const result = spec[name].schema.safeParse(value);
    if (!result.success) {
      const problem = value === undefined ? 'is required' : `invalid value ${shown(value)}`;
      throw new QueryParamError(name, problem, spec[name].accepted);
    }
    out[name] = result.data;
  }
  return out as ParsedParams<S>;
}

/** An instant: ISO-8601 date-time with Z or an offset. */
export function timeParam(): Param<Date | undefined> {
  return {
    schema: z.iso
      .datetime({ offset: true })
      .transform((v) => new Date(v))
      .optional(),
    accepted: 'an ISO-8601 date-time with Z or an offset, e.g. 2024-01-01T10:00:00Z',
  };
}

export function enumParam<const T extends readonly [string, ...string[]]>(
  values: T,
): Param<T[number] | undefined>;
export function enumParam<const T extends readonly [string, ...string[]]>(
  values: T,
  fallback: T[number],
): Param<T[number]>;
export function enumParam<const T extends readonly [string, ...string[]]>(
  values: T,
  fallback?: T[number],
): Param<T[number] | undefined> {
  const base = z.enum(values);
  return {
    schema: (fallback === undefined
      ? base.optional()
      : base.default(fallback as never)) as z.ZodType<T[number] | undefined, string | undefined>,
    accepted: `one of ${values.join(', ')}${fallback === undefined ? '' : ` (default ${fallback})`}`,
    doc: { required: false, enum: values },
  };
}

export function requiredEnumParam<const T extends readonly [string, ...string[]]>(
  values: T,
): Param<T[number]> {
  return {
    schema: z.enum(values),
    accepted: `one of ${values.join(', ')} (required)`,
    doc: { required: true, enum: values },
  };
}

export function limitParam(fallback: number, max: number): Param<number> {
  return {
    schema: z
      .string()
      .regex(/^\d{1,7}$/)
      .transform(Number)
      .pipe(z.number().int().min(1).max(max))
      .default(fallback),
    accepted: `an integer from 1 to ${max} (default ${fallback})`,
  };
}

/** A free-form identifier such as a user id (contract: 1–128 characters); always bound, never SQL text. */
export function idParam(): Param<string | undefined> {
  return {
    schema: z.string().min(1).max(128).optional(),
    accepted: 'a string of 1 to 128 characters',
    doc: { required: false },
  };
}

/** The parameter with a description in the OpenAPI document. */
export function described<T>(param: Param<T>, description: string): Param<T> {
  return { ...param, doc: { required: false, ...param.doc, description } };
}

export function cursorParam(): Param<string | undefined> {
  return {
    schema: z.string().min(1).max(1024).optional(),
    accepted: 'the next_cursor of a previous page of the same query',
  };
}

/** A half-open [from, to) range must not be empty or reversed. */
export function checkRange(from: Date | undefined, to: Date | undefined): void {
  if (from && to && to.getTime() <= from.getTime()) {
    throw new QueryParamError(
      'to',
      'must be after from (ranges are half-open: [from, to))',
      'an ISO-8601 date-time after from',
    );
  }
}

/** The cursor's key, or a 400 naming `cursor`. */
export function cursorKey<T>(cursor: string | undefined, schema: z.ZodType<T>): T | undefined {
  if (cursor === undefined) return undefined;
  const key = decodeCursor(cursor, schema);
  if (key === undefined)
    throw new QueryParamError(
      'cursor',
      'not a cursor of this query',
      'the next_cursor of a previous page of the same query',
    );
  return key;
}

/** from, to, limit and cursor: what every paged list over a time range takes. */
export function pagedRangeParams(defaultLimit: number, maxLimit: number) {
  return {
    from: timeParam(),
    to: timeParam(),
    limit: limitParam(defaultLimit, maxLimit),
    cursor: cursorParam(),
  };
}

/** The paged part of a list query: the half-open range, the page size and the key to start after. */
export interface PagedRange<K> {
  from?: Date;
  to?: Date;
  limit: number;
  /** Exclusive: the sort key of the previous page's last row. */
  after?: K;
}

/** The paged part of a parsed query: the range checked and the cursor decoded with `schema`. */
export function pagedRange<T>(
  parsed: { from?: Date; to?: Date; limit: number; cursor?: string },
  schema: z.ZodType<T>,
): PagedRange<T> {
  checkRange(parsed.from, parsed.to);
  return {
    from: parsed.from,
    to: parsed.to,
    limit: parsed.limit,
    after: cursorKey(parsed.cursor, schema),
  };
}
