import { parseCliArgs, UsageError } from './args';
import { renderRuleHistory, renderRules } from './rules';

const KEY = 'k'.repeat(32);
const parse = (argv: string[], env: NodeJS.ProcessEnv = {}) => parseCliArgs(argv, env);
const usage = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
  try {
    parse(argv, env);
  } catch (err) {
    if (err instanceof UsageError) return err.message;
    throw err;
  }
  throw new Error('no usage error');
};

describe('cli rules', () => {
  it('lists rules and their history with the read key', () => {
    expect(parse(['rules'], { METRICS_API_KEY: 'r' })).toMatchObject({
      command: 'rules',
      apiKey: 'r',
      rules: { action: 'list', method: 'GET', path: '/v1/rules' },
    });
    expect(
      parse(['rules', 'history', '--rule', 'click_flood', '--limit', '5', '--json']),
    ).toMatchObject({
      json: true,
      query: { rule: 'click_flood', limit: '5' },
      rules: { action: 'history', path: '/v1/rules/history' },
    });
  });

  it('sets settings typed as the API checks them, with the admin key from the flag or the env', () => {
    expect(
      parse([
        'rules',
        'set',
        'click_flood',
        '--threshold',
        '80',
        '--enabled',
        'false',
        '--window-ms',
        '120000',
        '--severity',
        'high',
        '--admin-key',
        KEY,
      ]).rules,
    ).toEqual({
      action: 'set',
      method: 'PUT',
      path: '/v1/rules/click_flood',
      query: {},
      body: { threshold: 80, enabled: false, window_ms: 120000, severity: 'high' },
      adminKey: KEY,
    });
    // Left as text, so the service's 400 names the field and the value.
    expect(
      parse(['rules', 'set', 'click_flood', '--threshold', 'lots'], { METRICS_ADMIN_API_KEY: KEY })
        .rules?.body,
    ).toEqual({ threshold: 'lots' });
    expect(
      parse(['rules', 'reset', 'high_value', '--url', 'http://m:3005/'], {
        METRICS_ADMIN_API_KEY: KEY,
      }),
    ).toMatchObject({
      url: 'http://m:3005',
      rules: { action: 'reset', method: 'DELETE', path: '/v1/rules/high_value', adminKey: KEY },
    });
  });

  it.each([
    [
      ['rules', 'set', 'click_storm', '--threshold', '1'],
      '<rule>: must be one of click_flood, ip_hopping, purchase_velocity, high_value, geo_velocity, outlier_activity, traffic_spike, traffic_drop (got "click_storm")',
    ],
    [['rules', 'set'], 'missing <rule> for rules set'],
    [
      ['rules', 'set', 'click_flood', '--admin-key', KEY],
      'rules set click_flood needs a setting: --threshold, --window-ms, --severity, --enabled',
    ],
    [['rules', 'set', 'click_flood', '--threshold', '1'], 'rules set needs an admin key'],
    [
      ['rules', 'set', 'click_flood', '--treshold', '1', '--admin-key', KEY],
      'unknown option "--treshold" for rules set',
    ],
    [
      ['rules', 'set', 'click_flood', '--threshold', '1', '--threshold', '2', '--admin-key', KEY],
      '--threshold: given twice',
    ],
    [
      ['rules', 'reset', 'click_flood', '--threshold', '1', '--admin-key', KEY],
      'unknown option "--threshold" for rules reset',
    ],
    [['rules', 'delete', 'click_flood'], 'unknown command "rules delete"'],
    [['rules', 'history', '--since', '1h'], 'unknown option "--since" for rules history'],
  ])('%j: %s', (argv, message) => {
    expect(usage(argv)).toContain(message);
  });

  it('renders the rules and the history as tables', () => {
    const config = { enabled: true, threshold: 80, window_ms: 60000, severity: 'medium' as const };
    expect(
      renderRules([
        {
          rule: 'click_flood',
          config,
          source: 'runtime',
          revision: 1,
          changed_at: '2026-12-03T16:00:00.000Z',
          changed_by: 'alice',
        },
      ]).split('\n')[2],
    ).toBe(
      'click_flood  true     80         60000      medium    runtime  1         alice       2026-12-03T16:00:00.000Z',
    );
    const line = renderRuleHistory([
      {
        revision: 1,
        rule: 'click_flood',
        action: 'set',
        changed_at: '2026-12-03T16:00:00.000Z',
        changed_by: 'alice',
        before: { ...config, threshold: 50 },
        after: config,
      },
    ]).split('\n')[2];
    expect(line).toBe(
      '1         2026-12-03T16:00:00.000Z  click_flood  set     alice       on 50 / 60s medium  on 80 / 60s medium',
    );
  });
});
