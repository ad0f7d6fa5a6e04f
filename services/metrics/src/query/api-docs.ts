import { applyDecorators, UseGuards } from '@nestjs/common';
import { ApiQuery, ApiQueryOptions, ApiResponse, ApiSecurity } from '@nestjs/swagger';
import { ApiKeyGuard } from '@clickstream/platform';
import { ParamSpec } from './query-params';

/** Every query controller: API key (when METRICS_API_KEYS is set), 400 and 401 documented. */
export const QueryApi = () =>
  applyDecorators(
    UseGuards(ApiKeyGuard),
    ApiSecurity('api-key'),
    ApiSecurity('bearer'),
    ApiResponse({
      status: 400,
      description:
        'A bad, repeated or unknown parameter; the body names it (`parameter`) and what it accepts',
    }),
    ApiResponse({
      status: 401,
      description: 'METRICS_API_KEYS is set and no key, or a wrong one, was sent',
    }),
  );

export const ApiRange = (what: string) =>
  applyDecorators(
    ApiQuery({
      name: 'from',
      required: false,
      description: `${what} >= from (ISO-8601 with offset)`,
      example: '2024-01-01T00:00:00Z',
    }),
    ApiQuery({
      name: 'to',
      required: false,
      description: `${what} < to (half-open)`,
      example: '2024-01-02T00:00:00Z',
    }),
  );

export const ApiPaging = (maxLimit = 1000) =>
  applyDecorators(
    ApiQuery({
      name: 'limit',
      required: false,
      description: `page size, 1..${maxLimit}`,
      schema: { type: 'integer', minimum: 1, maximum: maxLimit },
    }),
    ApiQuery({
      name: 'cursor',
      required: false,
      description: 'next_cursor of the previous page (opaque keyset cursor)',
    }),
  );

/** purchases / views, as the windows and the overview answer it. */
export const CONVERSION_RATE_SCHEMA = {
  type: 'number',
  description: 'purchases / views; 0 without views',
};

/**
 * The schemas of summed partial columns, typed by the contract: a sum of bigint counts is an
 * integer, of numeric money a number.
 */
export const sumSchemas = <C extends string>(
  row: { columnTypes: Record<C, string> },
  columns: readonly C[],
) =>
  Object.fromEntries(
    columns.map((c) => [c, { type: row.columnTypes[c] === 'numeric' ? 'number' : 'integer' }]),
  ) as Record<C, { type: 'number' | 'integer' }>;

/** `{items, next_cursor}` with the item schema. */
export const pageSchema = (item: Record<string, unknown>) => ({
  type: 'object',
  properties: {
    items: { type: 'array', items: item },
    next_cursor: { type: 'string', nullable: true },
  },
});

/**
 * An ApiQuery for each parameter of `spec` that has a doc (a list's filters), from the same Param
 * that parses it; the last comes first in the document, as stacked @ApiQuery decorators gave them.
 */
export const ApiFilters = (spec: ParamSpec) =>
  applyDecorators(
    ...Object.entries(spec)
      .reverse()
      // The enum is only read (ApiQueryOptions types it mutable).
      .flatMap(([name, { doc }]) => (doc ? [ApiQuery({ name, ...doc } as ApiQueryOptions)] : [])),
  );
