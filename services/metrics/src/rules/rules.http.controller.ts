import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Put,
  Query,
  Req,
  UseGuards,
} from '@nestjs/common';
import {
  ApiBody,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiResponse,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import { z } from 'zod';
import {
  ALERT_RULES,
  ALERT_SEVERITIES,
  AlertRule,
  RULE_SOURCES,
  RuleSettings,
} from '@clickstream/contracts';
import { metricsConfig, MetricsConfig } from '../metrics.config';
import { ApiPaging, pageSchema, QueryApi } from '../query/api-docs';
import { cursorKey, cursorParam, enumParam, limitParam, parseQuery } from '../query/query-params';
import { Page, toPage } from '../query/page';
import { AdminKeyGuard, AdminRequest } from './admin-key.guard';
import { changeItem, RuleChangeItem, RuleView } from './rule-views';
import { RulesPublisher } from './rules-publisher';
import { RuleAction, RulesRepository } from './rules.repository';

const SETTINGS_SCHEMA = {
  type: 'object',
  properties: {
    enabled: { type: 'boolean' },
    threshold: {
      type: 'number',
      description:
        'strict threshold; IQR factor for outlier_activity, factor of the baseline mean for traffic_*',
    },
    window_ms: {
      type: 'integer',
      description: 'tumbling window (ms); fixed at boot for outlier_activity, 60000 for traffic_*',
    },
    severity: { type: 'string', enum: [...ALERT_SEVERITIES] },
  } satisfies Record<keyof RuleSettings, object>,
};
const SOURCES_SCHEMA = {
  type: 'object',
  additionalProperties: { type: 'string', enum: [...RULE_SOURCES] },
};
const RULE_SCHEMA = {
  type: 'object',
  properties: {
    rule: { type: 'string', enum: [...ALERT_RULES] },
    config: SETTINGS_SCHEMA,
    source: { type: 'string', enum: [...RULE_SOURCES] },
    sources: SOURCES_SCHEMA,
    revision: { type: 'integer', nullable: true },
    changed_at: { type: 'string', format: 'date-time', nullable: true },
    changed_by: {
      type: 'string',
      nullable: true,
      description: 'id of the admin key (never the key)',
    },
  } satisfies Record<keyof RuleView, object>,
};
const CHANGE_SCHEMA = {
  type: 'object',
  properties: {
    revision: { type: 'integer' },
    rule: { type: 'string', enum: [...ALERT_RULES] },
    action: { type: 'string', enum: ['set', 'reset'] },
    changed_at: { type: 'string', format: 'date-time' },
    changed_by: { type: 'string', description: 'id of the admin key (never the key)' },
    before: SETTINGS_SCHEMA,
    after: SETTINGS_SCHEMA,
  } satisfies Record<keyof RuleChangeItem, object>,
};
const CHANGED_SCHEMA = {
  type: 'object',
  properties: {
    rule: RULE_SCHEMA,
    changed: {
      type: 'boolean',
      description: 'false: the rule already ran with these settings; nothing was stored',
    },
    published: {
      type: 'boolean',
      description: 'false: stored, and published by a retry in the background',
    },
  },
};

export interface RuleChanged {
  rule: RuleView;
  changed: boolean;
  published: boolean;
}

function ruleParam(rule: string): AlertRule {
  if ((ALERT_RULES as readonly string[]).includes(rule)) return rule as AlertRule;
  throw new NotFoundException(
    `unknown rule "${rule.slice(0, 60)}": use one of ${ALERT_RULES.join(', ')}`,
  );
}

/**
 * Fraud rules at runtime (issue 14): read with the read keys (METRICS_API_KEYS), changed only with
 * an admin key (METRICS_ADMIN_API_KEYS). A change is stored with its history in Postgres, then
 * published to clickstream.rules.v1, which every fraud-detector follows.
 */
@ApiTags('rules')
@Controller('v1/rules')
export class RulesHttpController {
  constructor(
    private readonly rules: RulesRepository,
    private readonly publisher: RulesPublisher,
    @Inject(metricsConfig.KEY) private readonly config: MetricsConfig,
  ) {}

  @Get()
  @QueryApi()
  @ApiOperation({
    summary:
      'Each fraud rule: its settings now and where they come from (default, file, env, runtime)',
  })
  @ApiOkResponse({
    schema: { type: 'object', properties: { items: { type: 'array', items: RULE_SCHEMA } } },
  })
  async list(@Query() query: unknown): Promise<{ items: RuleView[] }> {
    parseQuery(query, {});
    return { items: await this.rules.current() };
  }

  @Get('history')
  @QueryApi()
  @ApiOperation({
    summary: 'Runtime rule changes, newest first: who (key id), when, before and after',
  })
  @ApiQuery({ name: 'rule', required: false, enum: [...ALERT_RULES] })
  @ApiPaging()
  @ApiOkResponse({ schema: pageSchema(CHANGE_SCHEMA) })
  async history(@Query() query: unknown): Promise<Page<RuleChangeItem>> {
    const v = parseQuery(query, {
      rule: enumParam(ALERT_RULES),
      limit: limitParam(this.config.defaultLimit, this.config.maxLimit),
      cursor: cursorParam(),
    });
    const before = cursorKey(v.cursor, z.tuple([z.number().int().min(1)]));
    const rows = await this.rules.history({ rule: v.rule, limit: v.limit, before: before?.[0] });
    return toPage(rows, v.limit, (r) => [r.revision], changeItem);
  }

  @Put(':rule')
  @HttpCode(200)
  @UseGuards(AdminKeyGuard)
  @ApiSecurity('api-key')
  @ApiSecurity('bearer')
  @ApiOperation({
    summary:
      'Change a rule at runtime; the body sets some of its settings, validated as the boot config is',
  })
  @ApiParam({ name: 'rule', enum: [...ALERT_RULES] })
  @ApiBody({ schema: { ...SETTINGS_SCHEMA, example: { threshold: 80 } } })
  @ApiOkResponse({ schema: CHANGED_SCHEMA })
  @ApiResponse({
    status: 400,
    description: 'A bad setting: the body names the field and the value; nothing changes',
  })
  @ApiResponse({ status: 401, description: 'No admin key, or not one of METRICS_ADMIN_API_KEYS' })
  @ApiResponse({
    status: 403,
    description: 'METRICS_ADMIN_API_KEYS is not set: rule changes are off',
  })
  @ApiResponse({ status: 404, description: 'Unknown rule' })
  set(
    @Param('rule') rule: string,
    @Body() body: unknown,
    @Req() request: AdminRequest,
  ): Promise<RuleChanged> {
    return this.apply(ruleParam(rule), { kind: 'set', body }, request);
  }

  @Delete(':rule')
  @HttpCode(200)
  @UseGuards(AdminKeyGuard)
  @ApiSecurity('api-key')
  @ApiSecurity('bearer')
  @ApiOperation({ summary: 'Take a rule back to its boot config (default, file, env)' })
  @ApiParam({ name: 'rule', enum: [...ALERT_RULES] })
  @ApiOkResponse({ schema: CHANGED_SCHEMA })
  @ApiResponse({ status: 401, description: 'No admin key, or not one of METRICS_ADMIN_API_KEYS' })
  @ApiResponse({
    status: 403,
    description: 'METRICS_ADMIN_API_KEYS is not set: rule changes are off',
  })
  @ApiResponse({ status: 404, description: 'Unknown rule' })
  reset(@Param('rule') rule: string, @Req() request: AdminRequest): Promise<RuleChanged> {
    return this.apply(ruleParam(rule), { kind: 'reset' }, request);
  }

  private async apply(
    rule: AlertRule,
    action: RuleAction,
    request: AdminRequest,
  ): Promise<RuleChanged> {
    const outcome = await this.rules.change(rule, action, request.adminKeyId!);
    if (!outcome.change) return { rule: outcome.view, changed: false, published: true };
    return { rule: outcome.view, changed: true, published: await this.publisher.publishNow() };
  }
}
