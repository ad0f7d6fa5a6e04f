import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PromQueryError, PromSeries, RunningPrometheus } from '../../support/prometheus';

export const DASHBOARD_DIR = resolve(__dirname, '../../../deploy/grafana/dashboards');

export interface DashTarget {
  refId: string;
  expr: string;
  instant?: boolean;
}

export interface DashPanel {
  title: string;
  type: string;
  targets?: DashTarget[];
}

export interface DashVariable {
  name: string;
  type: string;
  query?: string | { query: string };
  multi?: boolean;
  includeAll?: boolean;
}

export interface DashboardFile {
  file: string;
  uid: string;
  title: string;
  templating: { list: DashVariable[] };
  panels: DashPanel[];
}

export function loadDashboards(dir = DASHBOARD_DIR): DashboardFile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({
      file,
      ...(JSON.parse(readFileSync(join(dir, file), 'utf8')) as Omit<DashboardFile, 'file'>),
    }));
}

/** Grafana's regex escape of a multi-value variable's values for Prometheus (prometheusSpecialRegexEscape). */
export function grafanaRegexEscape(value: string): string {
  return value.replace(/\\/g, '\\\\\\\\').replace(/[$^*{}[\]'+?.()|]/g, '\\\\$&');
}

/** What Grafana puts for a variable set to "All" without a custom allValue: `(a|b|c)` of every value. */
export function allValue(values: string[]): string {
  const escaped = values.map(grafanaRegexEscape);
  return escaped.length === 1 ? escaped[0] : `(${escaped.join('|')})`;
}

export interface Interpolation {
  /** Variable name → the text that replaces $name, ${name} and [[name]]. */
  vars: Record<string, string>;
  rateInterval: string;
  interval: string;
  rangeSeconds: number;
}

export function interpolate(expr: string, i: Interpolation): string {
  let out = expr
    .replace(/\$__rate_interval\b/g, i.rateInterval)
    .replace(/\$__interval\b/g, i.interval)
    .replace(/\$__range\b/g, `${Math.max(1, Math.round(i.rangeSeconds))}s`);
  for (const [name, value] of Object.entries(i.vars)) {
    out = out.replace(
      new RegExp(`\\$\\{${name}\\}|\\[\\[${name}\\]\\]|\\$${name}\\b`, 'g'),
      () => value,
    );
  }
  return out;
}

/**
 * Resolves the query variables of a dashboard as Grafana does on load, in order (instance depends on
 * service): label_values(match, label) through Prometheus, each set to "All". Fails on a variable
 * with no values: a panel filtered by it could never show anything.
 */
export async function resolveVariables(
  prom: RunningPrometheus,
  d: DashboardFile,
  base: Omit<Interpolation, 'vars'>,
): Promise<Record<string, string>> {
  const vars: Record<string, string> = {};
  for (const v of d.templating.list) {
    if (v.type !== 'query') continue;
    const query = typeof v.query === 'string' ? v.query : (v.query?.query ?? '');
    const m = /^label_values\((.+),\s*(\w+)\)$/.exec(query.trim());
    if (!m)
      throw new Error(`${d.file}: variable ${v.name} is not label_values(match, label): ${query}`);
    const values = await prom.labelValues(m[2], interpolate(m[1], { ...base, vars }));
    if (values.length === 0)
      throw new Error(`${d.file}: variable ${v.name} (${query}) has no values`);
    vars[v.name] = v.includeAll || v.multi ? allValue(values) : values[0];
  }
  return vars;
}

export interface PanelResult {
  dashboard: string;
  panel: string;
  /** Series with at least one number, over all targets. */
  series: number;
  /** Query errors by refId (parse errors among them). */
  errors: string[];
}

const finite = (v: string) => Number.isFinite(Number(v));
const hasNumber = (s: PromSeries) =>
  s.value ? finite(s.value[1]) : (s.values ?? []).some(([, v]) => finite(v));

/** Runs every target of a panel as Grafana would: range targets over [start, end], instant ones at end. */
export async function evaluatePanel(
  prom: RunningPrometheus,
  d: DashboardFile,
  p: DashPanel,
  i: Interpolation,
  start: Date,
  end: Date,
): Promise<PanelResult> {
  const result: PanelResult = { dashboard: d.uid, panel: p.title, series: 0, errors: [] };
  for (const t of p.targets ?? []) {
    const expr = interpolate(t.expr, i);
    try {
      const series = t.instant
        ? await prom.query(expr, end)
        : await prom.queryRange(expr, start, end, 2);
      result.series += series.filter(hasNumber).length;
    } catch (err) {
      result.errors.push(
        `${t.refId}: ${err instanceof PromQueryError ? `${err.errorType}: ${err.detail}` : (err as Error).message} in ${expr}`,
      );
    }
  }
  return result;
}

export const panelKey = (dashboard: string, panel: string) => `${dashboard} / ${panel}`;
