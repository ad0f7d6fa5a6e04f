import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { FUNNEL_STAGES, SESSION_STATUSES } from '@clickstream/contracts';
import { metricsConfig, MetricsConfig } from '../metrics.config';
import { ApiPaging, ApiRange, pageSchema, QueryApi } from '../query/api-docs';
import { Page, toPage } from '../query/page';
import { parseSessionQuery } from './sessions.params';
import { SessionItem, SessionsRepository, toSessionItem } from './sessions.repository';

const SESSION_SCHEMA = {
  type: 'object',
  properties: {
    session_id: { type: 'string' },
    user_id: { type: 'string' },
    started_at: { type: 'string', format: 'date-time' },
    last_event_at: { type: 'string', format: 'date-time' },
    duration_s: { type: 'number' },
    event_count: { type: 'integer' },
    event_counts: { type: 'object', additionalProperties: { type: 'integer' } },
    revenue: { type: 'number' },
    funnel_stage: { type: 'string', enum: [...FUNNEL_STAGES] },
    converted: { type: 'boolean' },
    bounced: { type: 'boolean' },
    client_session_ids: { type: 'array', items: { type: 'string' } },
    status: { type: 'string', enum: SESSION_STATUSES },
    closed_at: { type: 'string', format: 'date-time', nullable: true },
  } satisfies Record<keyof SessionItem, object>,
};

/** SPEC §8 GET /v1/sessions (SPEC §5 fields), newest first. */
@ApiTags('sessions')
@QueryApi()
@Controller('v1/sessions')
export class SessionsHttpController {
  constructor(
    private readonly sessions: SessionsRepository,
    @Inject(metricsConfig.KEY) private readonly config: MetricsConfig,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Sessions, newest first (by started_at, then session_id)' })
  @ApiQuery({ name: 'user_id', required: false })
  @ApiQuery({ name: 'status', required: false, enum: SESSION_STATUSES })
  @ApiRange('started_at')
  @ApiPaging()
  @ApiOkResponse({ schema: pageSchema(SESSION_SCHEMA) })
  async list(@Query() query: unknown): Promise<Page<SessionItem>> {
    const q = parseSessionQuery(query, this.config);
    const rows = await this.sessions.list(q);
    return toPage(rows, q.limit, (r) => [r.k, r.session_id], toSessionItem);
  }
}
