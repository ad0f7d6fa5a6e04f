import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { metricsConfig, MetricsConfig } from '../metrics.config';
import { ApiPaging, ApiRange, pageSchema, QueryApi } from '../query/api-docs';
import { Page, toPage } from '../query/page';
import { ALERT_RULES } from './alert-rules';
import { parseAlertQuery } from './alerts.params';
import { AlertItem, AlertsRepository, toAlertItem } from './alerts.repository';

const ALERT_SCHEMA = {
  type: 'object',
  properties: {
    alert_id: { type: 'string', description: 'rule:key:window_start' },
    rule: { type: 'string', enum: ALERT_RULES },
    severity: { type: 'string', enum: ['low', 'medium', 'high'] },
    user_id: { type: 'string', nullable: true },
    window_start: { type: 'string', format: 'date-time' },
    window_end: { type: 'string', format: 'date-time' },
    value: { type: 'number' },
    threshold: { type: 'number' },
    detected_at: { type: 'string', format: 'date-time' },
    evidence: { type: 'object' },
  } satisfies Record<keyof AlertItem, object>,
};

/** SPEC §8 GET /v1/alerts (SPEC §7 fields), newest window first. */
@ApiTags('alerts')
@QueryApi()
@Controller('v1/alerts')
export class AlertsHttpController {
  constructor(
    private readonly alerts: AlertsRepository,
    @Inject(metricsConfig.KEY) private readonly config: MetricsConfig,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'Fraud and anomaly alerts, newest window first (by window_start, then alert_id)',
  })
  @ApiQuery({ name: 'rule', required: false, enum: ALERT_RULES })
  @ApiQuery({ name: 'user_id', required: false })
  @ApiRange('window_start')
  @ApiPaging()
  @ApiOkResponse({ schema: pageSchema(ALERT_SCHEMA) })
  async list(@Query() query: unknown): Promise<Page<AlertItem>> {
    const q = parseAlertQuery(query, this.config);
    const rows = await this.alerts.list(q);
    return toPage(rows, q.limit, (r) => [r.k, r.alert_id], toAlertItem);
  }
}
