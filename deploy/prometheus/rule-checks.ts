/**
 * Helpers of deploy/prometheus.spec.ts: the alert rules and their promtool tests as data, the metric
 * names a PromQL expression reads, and the metric names the code exports. All static: reading files,
 * no Prometheus needed (promtool itself runs in the spec).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { parse } from 'yaml';
import { streamsMetrics } from '@clickstream/streams/internals';

export const ROOT = join(__dirname, '..', '..');
export const RULES_DIR = 'deploy/prometheus/rules';
export const TESTS_DIR = 'deploy/prometheus/rules/tests';

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

interface RuleFile {
  groups: { name: string; rules: (AlertRule | { record: string; expr: string })[] }[];
}

interface RuleTestFile {
  rule_files: string[];
  tests: { name?: string; alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
}

const yamlFiles = (dir: string) =>
  readdirSync(join(ROOT, dir))
    .filter((name) => name.endsWith('.yml'))
    .sort()
    .map((name) => join(dir, name));

export const ruleFilePaths = () => yamlFiles(RULES_DIR);
export const ruleTestPaths = () => yamlFiles(TESTS_DIR);

/** Every alerting rule of every rule file, with the file it is in. */
export function alertRules(): (AlertRule & { file: string })[] {
  return ruleFilePaths().flatMap((file) => {
    const doc = parse(readFileSync(join(ROOT, file), 'utf8')) as RuleFile;
    return doc.groups.flatMap((g) =>
      g.rules.filter((r): r is AlertRule => 'alert' in r).map((r) => ({ ...r, file })),
    );
  });
}

/** Per alert name: does some promtool case expect it to fire, and some case expect it quiet? */
export function testedOutcomes(): Map<string, { fires: boolean; quiet: boolean }> {
  const outcomes = new Map<string, { fires: boolean; quiet: boolean }>();
  for (const file of ruleTestPaths()) {
    const doc = parse(readFileSync(join(ROOT, file), 'utf8')) as RuleTestFile;
    for (const test of doc.tests ?? []) {
      for (const t of test.alert_rule_test ?? []) {
        const o = outcomes.get(t.alertname) ?? { fires: false, quiet: false };
        if ((t.exp_alerts ?? []).length > 0) o.fires = true;
        else o.quiet = true;
        outcomes.set(t.alertname, o);
      }
    }
  }
  return outcomes;
}

// --- metric names in PromQL ----------------------------------------------------------------------

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'inf',
  'nan',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
]);

/**
 * Expands a `__name__=~` regex written as alternations of plain names, e.g.
 * `(sessionizer|aggregator)_late_events_total` -> both names. Anything else (`.*`, classes) is
 * refused: a rule must name what it reads, so this check can see it.
 */
export function expandNameRegex(regex: string): string[] {
  const group = /\(([^()]*)\)/.exec(regex);
  if (!group) {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(regex))
      throw new Error(`__name__ regex "${regex}" is not an alternation of plain names`);
    return [regex];
  }
  const before = regex.slice(0, group.index);
  const after = regex.slice(group.index + group[0].length);
  return group[1].split('|').flatMap((alt) => expandNameRegex(before + alt + after));
}

/**
 * The metric names a PromQL expression selects. A lexer, not a parser: `__name__` matchers are
 * read first; then strings, label matchers, ranges, grouping label lists and offsets are dropped,
 * and what remains that looks like an identifier, is not a keyword and is not called like a
 * function is a metric name.
 */
export function metricNamesIn(expr: string): string[] {
  const names = new Set<string>();
  for (const m of expr.matchAll(/__name__\s*(=~|=)\s*"([^"]*)"/g)) {
    for (const name of m[1] === '=' ? [m[2]] : expandNameRegex(m[2])) names.add(name);
  }
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\boffset\s+-?[0-9a-z]+/g, ' ');
  for (const m of bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const before = bare[m.index - 1] ?? ' ';
    const after = bare.slice(m.index + m[0].length);
    if (/[0-9.]/.test(before) || KEYWORDS.has(m[0].toLowerCase()) || /^\s*\(/.test(after)) continue;
    names.add(m[0]);
  }
  return [...names].sort();
}

// --- metric names the code exports --------------------------------------------------------------

const sourceFiles = (dir: string): string[] =>
  readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory())
      return name === 'testing' || name === 'node_modules' ? [] : sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.spec.ts') ? [path] : [];
  });

/**
 * Prefixes the streams runtime puts before its metric names: the 5th argument of each service's
 * `processorRuntime(kafka, pool, streams, metrics, <prefix>, ...)`, a string literal or
 * `metrics.prefix` (= the service name with `_` for `-`, libs/platform metricPrefix).
 */
export function streamsPrefixes(): string[] {
  const prefixes = new Set<string>();
  for (const service of readdirSync(join(ROOT, 'services'))) {
    for (const file of sourceFiles(join('services', service, 'src'))) {
      for (const m of readFileSync(join(ROOT, file), 'utf8').matchAll(
        /processorRuntime\(\s*[^,]+,[^,]+,[^,]+,[^,]+,\s*([^,]+),/g,
      )) {
        const arg = m[1].trim();
        if (arg === 'metrics.prefix') prefixes.add(service.replace(/-/g, '_'));
        else if (/^'[a-z_]+'$/.test(arg)) prefixes.add(arg.slice(1, -1));
        else
          throw new Error(
            `${file}: cannot read the metric prefix "${arg}" of processorRuntime(); extend streamsPrefixes()`,
          );
      }
    }
  }
  return [...prefixes].sort();
}

/**
 * Every metric name the services can export, found by reading the code: each
 * `counter|gauge|histogram|summary({ name: '...' })` (MetricsService) and `new Counter|Gauge|...({ name: ... })`
 * (prom-client) under services/ and libs/ (a `${prefix}` name once per streams prefix; a histogram
 * as _bucket, _sum and _count too), the streams runtime's metrics per streams prefix, prom-client's
 * default metrics, and the series Prometheus adds to every scrape (up, scrape_*).
 */
export function exportedMetricNames(): Set<string> {
  const names = new Set<string>([
    'up',
    'scrape_duration_seconds',
    'scrape_samples_scraped',
    'scrape_samples_post_metric_relabeling',
    'scrape_series_added',
  ]);
  const prefixes = streamsPrefixes();
  const add = (kind: string, name: string) => {
    names.add(name);
    if (kind === 'histogram')
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
    if (kind === 'summary') for (const suffix of ['_sum', '_count']) names.add(name + suffix);
  };
  const files = ['services', 'libs'].flatMap((top) =>
    readdirSync(join(ROOT, top)).flatMap((d) => sourceFiles(join(top, d, 'src'))),
  );
  for (const file of files) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    for (const m of text.matchAll(
      /\b(counter|gauge|histogram|summary)\(\{\s*name:\s*(['`])([^'`]+)\2/gi,
    )) {
      const kind = m[1].toLowerCase();
      const name = m[3];
      if (!name.includes('${')) add(kind, name);
      else if (name.startsWith('${prefix}'))
        for (const p of prefixes) add(kind, p + name.slice('${prefix}'.length));
      else
        throw new Error(`${relative(ROOT, join(ROOT, file))}: cannot expand metric name ${name}`);
    }
  }
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // The streams runtime's own metrics, built per processor as the runtime builds them.
  for (const prefix of prefixes) streamsMetrics(registry, prefix);
  for (const metric of registry.getMetricsAsArray()) add(String(metric.type), metric.name);
  return names;
}
