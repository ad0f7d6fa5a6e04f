import { z } from 'zod';
import { EVENT_TYPES, WINDOW_SUMMED_COLUMNS, windowAggregateRow } from '@clickstream/contracts';
import { CONVERSION_RATE_SCHEMA, sumSchemas } from '../query/api-docs';
import { cursorTimestamp } from '../query/cursor';
import { pagedList, pagedListController } from '../query/paged-list';
import { described, enumParam, requiredEnumParam } from '../query/query-params';
import {
  toWindowItem,
  WINDOW_SIZES,
  WindowItem,
  WindowRow,
  WindowsRepository,
} from './windows.repository';

const DIMENSIONS = ['all', ...EVENT_TYPES] as const;

const WINDOW_SCHEMA = {
  type: 'object',
  properties: {
    window_size: { type: 'string', enum: WINDOW_SIZES },
    dimension: { type: 'string', enum: DIMENSIONS },
    window_start: { type: 'string', format: 'date-time' },
    window_end: { type: 'string', format: 'date-time' },
    ...sumSchemas(windowAggregateRow, WINDOW_SUMMED_COLUMNS),
    conversion_rate: CONVERSION_RATE_SCHEMA,
    final: {
      type: 'boolean',
      description: 'the global watermark passed window_end: the values no longer change',
    },
  } satisfies Record<keyof WindowItem, object>,
};

/** GET /v1/windows: from/to bound window_start, half-open; oldest first. */
const WINDOW_LIST = pagedList({
  summary:
    'Tumbling-window aggregates, oldest first; windows without any event are absent (except published empty 1 min `all` windows)',
  filters: {
    size: requiredEnumParam(WINDOW_SIZES),
    dimension: described(enumParam(DIMENSIONS, 'all'), 'all (default) or an event type'),
  },
  range: 'window_start',
  cursor: z.tuple([cursorTimestamp]),
  schema: WINDOW_SCHEMA,
  key: (r: WindowRow) => [r.k],
  item: toWindowItem,
});

/** SPEC §8 GET /v1/windows (SPEC §6 fields). */
export class WindowsHttpController extends pagedListController(
  'windows',
  'v1/windows',
  WINDOW_LIST,
  WindowsRepository,
) {}
