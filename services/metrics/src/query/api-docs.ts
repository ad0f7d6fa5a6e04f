import { applyDecorators, UseGuards } from '@nestjs/common';
import { ApiQuery, ApiResponse, ApiSecurity } from '@nestjs/swagger';
import { ApiKeyGuard } from '@clickstream/platform';

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

/** `{items, next_cursor}` with the item schema. */
export const pageSchema = (item: Record<string, unknown>) => ({
  type: 'object',
  properties: {
    items: { type: 'array', items: item },
    next_cursor: { type: 'string', nullable: true },
  },
});
