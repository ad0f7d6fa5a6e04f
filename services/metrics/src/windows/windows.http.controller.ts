import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { metricsConfig, MetricsConfig } from '../metrics.config';
import { ApiPaging, ApiRange, pageSchema, QueryApi } from '../query/api-docs';
import { Page, toPage } from '../query/page';
import { DIMENSIONS, parseWindowQuery } from './windows.params';
import { toWindowItem, WINDOW_SIZES, WindowItem, WindowsRepository } from './windows.repository';

const WINDOW_SCHEMA = {
  type: 'object',
  properties: {
    window_size: { type: 'string', enum: WINDOW_SIZES },
    dimension: { type: 'string', enum: DIMENSIONS },
    window_start: { type: 'string', format: 'date-time' },
    window_end: { type: 'string', format: 'date-time' },
    events: { type: 'integer' },
    unique_users: { type: 'integer' },
    purchases: { type: 'integer' },
    revenue: { type: 'number' },
    views: { type: 'integer' },
    carts: { type: 'integer' },
    conversion_rate: { type: 'number', description: 'purchases / views; 0 without views' },
    final: {
      type: 'boolean',
      description: 'the global watermark passed window_end: the values no longer change',
    },
  } satisfies Record<keyof WindowItem, object>,
};

/** SPEC §8 GET /v1/windows (SPEC §6 fields). */
@ApiTags('windows')
@QueryApi()
@Controller('v1/windows')
export class WindowsHttpController {
  constructor(
    private readonly windows: WindowsRepository,
    @Inject(metricsConfig.KEY) private readonly config: MetricsConfig,
  ) {}

  @Get()
  @ApiOperation({
    summary:
      'Tumbling-window aggregates, oldest first; windows without any event are absent (except published empty 1 min `all` windows)',
  })
  @ApiQuery({ name: 'size', required: true, enum: WINDOW_SIZES })
  @ApiQuery({
    name: 'dimension',
    required: false,
    enum: DIMENSIONS,
    description: 'all (default) or an event type',
  })
  @ApiRange('window_start')
  @ApiPaging()
  @ApiOkResponse({ schema: pageSchema(WINDOW_SCHEMA) })
  async list(@Query() query: unknown): Promise<Page<WindowItem>> {
    const q = parseWindowQuery(query, this.config);
    const rows = await this.windows.list(q);
    return toPage(rows, q.limit, (r) => [r.k], toWindowItem(q.size, q.dimension));
  }
}
