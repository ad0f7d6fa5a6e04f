import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CONVERSION_RATE_SCHEMA, QueryApi } from '../query/api-docs';
import { parseQuery, timeParam } from '../query/query-params';
import { ratio } from '../query/sql';
import { overviewRanges, Range } from './overview-ranges';
import { OverviewRepository } from './overview.repository';

const range = (r: Range) => ({ from: r.from.toISOString(), to: r.to.toISOString() });

export interface OverviewResponse {
  at: string;
  active_sessions: number;
  events_last_minute: number;
  unique_users_last_5m: number;
  revenue_last_hour: number;
  purchases_last_hour: number;
  views_last_hour: number;
  conversion_rate_last_hour: number;
  alerts_last_hour: number;
  alerts_last_hour_by_rule: Record<string, number>;
  ranges: {
    last_minute: { from: string; to: string; final: boolean };
    last_5m: { from: string; to: string };
    last_hour: { from: string; to: string };
    alerts: { from: string; to: string };
  };
}

const RANGE_SCHEMA = {
  type: 'object',
  properties: {
    from: { type: 'string', format: 'date-time' },
    to: { type: 'string', format: 'date-time' },
  },
};

/** SPEC §8 GET /v1/overview. */
@ApiTags('overview')
@QueryApi()
@Controller('v1/overview')
export class OverviewHttpController {
  constructor(private readonly overview: OverviewRepository) {}

  @Get()
  @ApiOperation({
    summary: 'KPIs now',
    description:
      'active_sessions: sessions with status open. events_last_minute: the last complete UTC minute [floor(at)−1 min, floor(at)) of the 1 min `all` windows. ' +
      'unique_users_last_5m: the last complete 5 min window. revenue/purchases/views/conversion_rate_last_hour: the 60 complete minutes before floor(at, 1 min). ' +
      'alerts_last_hour: alerts detected in [at − 1 h, at). Windows are by event time; `ranges` tells exactly which were read.',
  })
  @ApiQuery({
    name: 'at',
    required: false,
    description:
      'evaluate as of this instant (default now), e.g. for a replay of old data; active_sessions is always current',
  })
  @ApiOkResponse({
    schema: {
      type: 'object',
      properties: {
        at: { type: 'string', format: 'date-time' },
        active_sessions: { type: 'integer' },
        events_last_minute: { type: 'integer' },
        unique_users_last_5m: { type: 'integer' },
        revenue_last_hour: { type: 'number' },
        purchases_last_hour: { type: 'integer' },
        views_last_hour: { type: 'integer' },
        conversion_rate_last_hour: CONVERSION_RATE_SCHEMA,
        alerts_last_hour: { type: 'integer' },
        alerts_last_hour_by_rule: { type: 'object', additionalProperties: { type: 'integer' } },
        ranges: {
          type: 'object',
          properties: {
            last_minute: RANGE_SCHEMA,
            last_5m: RANGE_SCHEMA,
            last_hour: RANGE_SCHEMA,
            alerts: RANGE_SCHEMA,
          },
        },
      },
    },
  })
  async get(@Query() query: unknown): Promise<OverviewResponse> {
    const v = parseQuery(query, { at: timeParam() });
    const r = overviewRanges(v.at ?? new Date());
    const [f, byRule] = await Promise.all([
      this.overview.figures(r),
      this.overview.alertsByRule(r),
    ]);
    const alertsByRule: Record<string, number> = {};
    for (const a of byRule) alertsByRule[a.rule] = (alertsByRule[a.rule] ?? 0) + a.count;
    return {
      at: r.at.toISOString(),
      active_sessions: f.activeSessions,
      events_last_minute: f.eventsLastMinute,
      unique_users_last_5m: f.uniqueUsers5m,
      revenue_last_hour: f.revenueLastHour,
      purchases_last_hour: f.purchasesLastHour,
      views_last_hour: f.viewsLastHour,
      conversion_rate_last_hour: ratio(f.purchasesLastHour, f.viewsLastHour),
      alerts_last_hour: f.alertsLastHour,
      alerts_last_hour_by_rule: alertsByRule,
      ranges: {
        last_minute: { ...range(r.lastMinute), final: f.lastMinuteFinal },
        last_5m: range(r.last5m),
        last_hour: range(r.lastHour),
        alerts: range(r.alerts),
      },
    };
  }
}
