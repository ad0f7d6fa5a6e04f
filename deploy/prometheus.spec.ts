/**
 * The alert rules (deploy/prometheus/rules) are valid, tested, documented and read real metrics:
 * - promtool checks prometheus.yml and the rules and runs the rule unit tests (rules/tests);
 *   promtool is required, not optional (.ci/run installs Debian's prometheus package);
 * - every alert has a severity, a summary, a description and a runbook link into the README, and
 *   a promtool case where it fires and one where it stays quiet;
 * - every metric a rule reads is exported by the code (read from the source, see rule-checks.ts);
 * - the Kubernetes PrometheusRule is the rendering of the same files.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { OUTPUT, renderPrometheusRule } from '../tools/k8s/render-prometheus-rule';
import { USER_RULE_SPECS } from '../services/fraud-detector/src/fraud/rules/user-rules';
import * as aggregator from '../services/aggregator/src/service';
import * as fraudDetector from '../services/fraud-detector/src/service';
import * as ingest from '../services/ingest/src/service';
import * as metrics from '../services/metrics/src/service';
import * as sessionizer from '../services/sessionizer/src/service';
import {
  alertRules,
  expandNameRegex,
  exportedMetricNames,
  metricNamesIn,
  ROOT,
  ruleFilePaths,
  ruleTestPaths,
  testedOutcomes,
} from './prometheus/rule-checks';

const SEVERITIES = ['critical', 'warning', 'info'];
const SERVICES = [ingest, sessionizer, aggregator, fraudDetector, metrics].map(
  (m) => m.SERVICE.name,
);

/** Runs promtool in the repository root; its output is the failure message. */
function promtool(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync('promtool', args, { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new Error(
      "promtool is not installed: install Debian's prometheus package (apt-get install prometheus), as .ci/run does",
    );
  }
  if (result.error) throw result.error;
  return {
    status: result.status,
    output: `promtool ${args.join(' ')}\n${result.stdout}${result.stderr}`,
  };
}

function expectPromtoolOk(...args: string[]): void {
  const { status, output } = promtool(...args);
  if (status !== 0) throw new Error(`exit ${status}\n${output}`);
}

describe('promtool', () => {
  it('accepts deploy/prometheus/prometheus.yml, which loads every rule file', () => {
    const { status, output } = promtool('check', 'config', 'deploy/prometheus/prometheus.yml');
    if (status !== 0) throw new Error(`exit ${status}\n${output}`);
    for (const file of ruleFilePaths()) expect(output).toContain(`Checking ${file}`);
  });

  it('accepts the rule files', () => {
    expect(ruleFilePaths().length).toBeGreaterThan(0);
    expectPromtoolOk('check', 'rules', ...ruleFilePaths());
  });

  it('passes the rule unit tests', () => {
    expect(ruleTestPaths().length).toBeGreaterThan(0);
    expectPromtoolOk('test', 'rules', ...ruleTestPaths());
  });

  it('fails a rule test whose expectation is wrong (so a pass means something)', () => {
    // ClickstreamServiceDown expected one evaluation too early, while the alert is still pending.
    const dir = mkdtempSync(join(tmpdir(), 'promtool-'));
    try {
      const test = {
        rule_files: [join(ROOT, 'deploy/prometheus/rules/clickstream-availability.yml')],
        evaluation_interval: '1m',
        tests: [
          {
            interval: '1m',
            input_series: [
              { series: 'up{job="ingest", instance="ingest:3001"}', values: '1 1 0 0 0' },
            ],
            alert_rule_test: [
              {
                eval_time: '2m',
                alertname: 'ClickstreamServiceDown',
                exp_alerts: [
                  { exp_labels: { severity: 'critical', job: 'ingest', instance: 'ingest:3001' } },
                ],
              },
            ],
          },
        ],
      };
      writeFileSync(join(dir, 'wrong.test.yml'), stringify(test));
      const { status, output } = promtool('test', 'rules', join(dir, 'wrong.test.yml'));
      expect(status).not.toBe(0);
      expect(output).toContain('FAILED');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('alert rules', () => {
  const rules = alertRules();

  it('exist, with unique names', () => {
    expect(rules.length).toBeGreaterThan(0);
    const names = rules.map((r) => r.alert);
    expect(new Set(names).size).toBe(names.length);
  });

  it.each(rules.map((r) => [r.alert, r] as const))(
    '%s has a severity, summary, description and runbook link',
    (name, rule) => {
      expect(SEVERITIES).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary?.trim()).toBeTruthy();
      expect(rule.annotations?.description?.trim()).toBeTruthy();
      expect(rule.annotations?.runbook_url).toBe(`README.md#${name.toLowerCase()}`);
    },
  );

  it('have a runbook section in the README for each alert', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const headings = new Set([...readme.matchAll(/^#{2,5} +(\S+) *$/gm)].map((m) => m[1]));
    // The sections come from the "Alerts and runbook" part of the README; runbook_url points at them.
    const missingRunbookSections = rules.map((r) => r.alert).filter((name) => !headings.has(name));
    expect({ missingRunbookSections }).toEqual({ missingRunbookSections: [] });
  });

  it('each fire in one promtool case and stay quiet in another', () => {
    const outcomes = testedOutcomes();
    const missing = rules.flatMap((r) => {
      const o = outcomes.get(r.alert);
      return [
        ...(o?.fires ? [] : [`${r.alert}: no case where it fires`]),
        ...(o?.quiet ? [] : [`${r.alert}: no case where it stays quiet`]),
      ];
    });
    expect(missing).toEqual([]);
    // And no test names an alert that does not exist (a renamed alert leaves stale tests).
    expect([...outcomes.keys()].filter((name) => !rules.some((r) => r.alert === name))).toEqual([]);
  });

  it('read only metrics the code exports', () => {
    const exported = exportedMetricNames();
    const unknown = rules.flatMap((r) =>
      metricNamesIn(r.expr)
        .filter((name) => !exported.has(name))
        .map((name) => `${r.alert}: ${name}`),
    );
    expect(unknown).toEqual([]);
  });

  it('watch the jobs of exactly the five services', () => {
    const down = rules.find((r) => r.alert === 'ClickstreamServiceDown');
    const jobs = /up\{job=~"([^"]+)"\}/.exec(down?.expr ?? '')?.[1];
    expect(jobs?.split('|').sort()).toEqual([...SERVICES].sort());
  });

  it('bound the detection latency of exactly the per-user fraud rules (window rules take minutes)', () => {
    const slow = rules.find((r) => r.alert === 'ClickstreamFraudDetectionSlow');
    const list = /rule=~"([^"]+)"/.exec(slow?.expr ?? '')?.[1];
    expect(list?.split('|').sort()).toEqual(Object.keys(USER_RULE_SPECS).sort());
  });
});

describe('the metric-name helpers', () => {
  it('read the metric names of an expression, not its functions, labels or keywords', () => {
    const expr = `sum by (group, topic) (rate(a_total{status=~"5..", x="by(y)"}[5m] offset 1h)) / on (group) group_left (z)
      max(b_seconds_bucket) > 1e3 and bool c unless {__name__=~"(p|q)_r"}`;
    expect(metricNamesIn(expr)).toEqual(['a_total', 'b_seconds_bucket', 'c', 'p_r', 'q_r']);
  });

  it('expand only alternations of plain names', () => {
    expect(expandNameRegex('(a|b)_x_(c|d)')).toEqual(['a_x_c', 'a_x_d', 'b_x_c', 'b_x_d']);
    expect(() => expandNameRegex('.+_total')).toThrow(/not an alternation/);
  });

  it('find the runtime, service and default metrics in the code', () => {
    const exported = exportedMetricNames();
    for (const name of [
      'fraud_detector_partition_stalled',
      'sessionizer_dead_letter_events_total',
      'aggregator_batch_duration_seconds_bucket',
      'kafka_consumergroup_lag',
      'ingest_request_duration_seconds_count',
      'process_start_time_seconds',
      'up',
    ]) {
      expect(exported).toContain(name);
    }
    expect(exported).not.toContain('streams_partition_stalled');
  });
});

describe('Kubernetes PrometheusRule', () => {
  it(`${OUTPUT} is the rendering of the rule files (npx tsx tools/k8s/render-prometheus-rule.ts)`, () => {
    expect(readFileSync(join(ROOT, OUTPUT), 'utf8')).toBe(renderPrometheusRule());
  });

  it('holds every group of every rule file', () => {
    const rendered = parse(renderPrometheusRule()) as {
      spec: { groups: { name: string; rules: { alert?: string }[] }[] };
    };
    const alerts = rendered.spec.groups.flatMap((g) => g.rules.map((r) => r.alert));
    expect(alerts.sort()).toEqual(
      alertRules()
        .map((r) => r.alert)
        .sort(),
    );
  });
});
