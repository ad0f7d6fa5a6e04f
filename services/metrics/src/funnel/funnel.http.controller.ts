import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiRange, QueryApi } from '../query/api-docs';
import { checkRange, parseQuery, timeParam } from '../query/query-params';
import { Funnel, funnelOf, FUNNEL_STEPS } from './funnel';
import { FunnelRepository } from './funnel.repository';

export interface FunnelResponse extends Funnel {
  from: string | null;
  to: string | null;
}

/** SPEC §8 GET /v1/funnel: sessions started in [from, to) reaching each stage, and conversion. */
@ApiTags('funnel')
@QueryApi()
@Controller('v1/funnel')
export class FunnelHttpController {
  constructor(private readonly funnel: FunnelRepository) {}

  @Get()
  @ApiOperation({
    summary:
      'Sessions started in [from, to) reaching each funnel stage (a purchase session reached view, cart and checkout too), and conversion',
  })
  @ApiRange('started_at')
  @ApiOkResponse({
    schema: {
      type: 'object',
      properties: {
        from: { type: 'string', format: 'date-time', nullable: true },
        to: { type: 'string', format: 'date-time', nullable: true },
        sessions: { type: 'integer', description: 'all sessions started in the range' },
        stages: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              stage: { type: 'string', enum: FUNNEL_STEPS },
              sessions: { type: 'integer' },
              conversion_from_previous: { type: 'number' },
              conversion_from_start: { type: 'number' },
            },
          },
        },
        conversion_rate: {
          type: 'number',
          description: 'sessions reaching purchase / all sessions',
        },
      },
    },
  })
  async get(@Query() query: unknown): Promise<FunnelResponse> {
    const v = parseQuery(query, { from: timeParam(), to: timeParam() });
    checkRange(v.from, v.to);
    const funnel = funnelOf(await this.funnel.stageCounts(v.from, v.to));
    return { from: v.from?.toISOString() ?? null, to: v.to?.toISOString() ?? null, ...funnel };
  }
}
