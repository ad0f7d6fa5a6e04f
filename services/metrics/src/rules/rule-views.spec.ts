import { ExecutionContext, ForbiddenException, UnauthorizedException } from '@nestjs/common';
import { DEFAULT_RULE_SETTINGS, RuleChangeRow } from '@clickstream/contracts';
import { MetricsConfig } from '../metrics.config';
import { AdminKeyGuard, AdminRequest } from './admin-key.guard';
import { parseRulePatch, RuleChangeError, ruleView } from './rule-views';

const CLICK = DEFAULT_RULE_SETTINGS.click_flood;
const OUTLIER = DEFAULT_RULE_SETTINGS.outlier_activity;

const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (err instanceof RuleChangeError) return err.getResponse();
    throw err;
  }
  throw new Error('not refused');
};

describe('parseRulePatch (PUT /v1/rules/{rule} body)', () => {
  it('returns the settings sent', () => {
    expect(parseRulePatch('click_flood', { threshold: 80 }, CLICK)).toEqual({ threshold: 80 });
  });

  it.each([
    [{ threshold: 1e13 }, 'threshold', 'threshold: must be <= 1000000000000 (got 10000000000000)'],
    [{ threshold: '80' }, 'threshold', 'threshold: must be a number (got "80")'],
    [
      { severity: 'urgent' },
      'severity',
      'severity: must be one of low, medium, high (got "urgent")',
    ],
    [
      { window: 1000 },
      'window',
      'window: unknown setting (use enabled, threshold, window_ms, severity) (got 1000)',
    ],
    [{}, '(body)', '(body): must set at least one of enabled, threshold, window_ms, severity'],
    [
      [{ threshold: 1 }],
      '(body)',
      '(body): must be a JSON object of settings, e.g. {"threshold": 80}',
    ],
    [null, '(body)', '(body): must be a JSON object of settings, e.g. {"threshold": 80}'],
  ])('%j is a 400 naming %s and the value', (body, field, message) => {
    expect(refusal(() => parseRulePatch('click_flood', body, CLICK))).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      field,
      message,
    });
  });

  it('refuses a new value of a setting fixed at boot, and accepts its current one', () => {
    expect(
      refusal(() => parseRulePatch('outlier_activity', { window_ms: 2 * 3_600_000 }, OUTLIER)),
    ).toMatchObject({ field: 'window_ms' });
    expect(
      parseRulePatch('outlier_activity', { window_ms: OUTLIER.window_ms, threshold: 3 }, OUTLIER),
    ).toEqual({ window_ms: OUTLIER.window_ms, threshold: 3 });
  });
});

describe('ruleView (GET /v1/rules item)', () => {
  const baseline = {
    rule: 'click_flood' as const,
    config: { ...CLICK, threshold: 70 },
    sources: {
      enabled: 'default',
      threshold: 'env',
      window_ms: 'file',
      severity: 'default',
    } as const,
    updated_at: new Date(),
  };
  const change: RuleChangeRow = {
    revision: 4,
    rule: 'click_flood',
    changed_at: new Date('2026-12-03T16:00:00Z'),
    key_id: 'alice',
    before: baseline.config,
    after: { ...CLICK, threshold: 80 },
    reset: false,
  };

  it('shows the SPEC defaults before any detector recorded its boot config', () => {
    expect(ruleView('click_flood')).toMatchObject({
      config: CLICK,
      source: 'default',
      revision: null,
      changed_by: null,
    });
  });

  it("shows the detectors' boot config with the strongest source of its settings", () => {
    expect(ruleView('click_flood', baseline)).toMatchObject({
      config: { threshold: 70 },
      source: 'env',
      sources: baseline.sources,
    });
  });

  it('shows a runtime change, and after a reset the boot config with the reset as the latest change', () => {
    expect(ruleView('click_flood', baseline, change)).toMatchObject({
      config: { threshold: 80 },
      source: 'runtime',
      revision: 4,
      changed_by: 'alice',
      changed_at: '2026-12-03T16:00:00.000Z',
    });
    expect(
      ruleView('click_flood', baseline, { ...change, revision: 5, reset: true }),
    ).toMatchObject({ config: { threshold: 70 }, source: 'env', revision: 5 });
  });
});

describe('AdminKeyGuard', () => {
  const KEY = 'a'.repeat(32);
  const guard = (adminKeys: MetricsConfig['adminKeys']) =>
    new AdminKeyGuard({ adminKeys } as MetricsConfig);
  const context = (headers: AdminRequest['headers']) => {
    const request: AdminRequest = { headers };
    return {
      request,
      ctx: { switchToHttp: () => ({ getRequest: () => request }) } as unknown as ExecutionContext,
    };
  };

  it('puts the key id (never the key) on the request', () => {
    const { request, ctx } = context({ authorization: `Bearer ${KEY}` });
    expect(guard([{ id: 'alice', key: KEY }]).canActivate(ctx)).toBe(true);
    expect(request.adminKeyId).toBe('alice');
    const bare = context({ 'x-api-key': KEY });
    guard([{ id: '', key: KEY }]).canActivate(bare.ctx);
    expect(bare.request.adminKeyId).toMatch(/^sha256:[0-9a-f]{12}$/);
    expect(KEY).not.toContain(bare.request.adminKeyId!.slice(7));
  });

  it('is 401 without a key or with another key, 403 when no admin key is configured', () => {
    expect(() => guard([{ id: 'alice', key: KEY }]).canActivate(context({}).ctx)).toThrow(
      UnauthorizedException,
    );
    expect(() =>
      guard([{ id: 'alice', key: KEY }]).canActivate(context({ 'x-api-key': 'b'.repeat(32) }).ctx),
    ).toThrow(UnauthorizedException);
    expect(() => guard([]).canActivate(context({ 'x-api-key': KEY }).ctx)).toThrow(
      ForbiddenException,
    );
  });
});
