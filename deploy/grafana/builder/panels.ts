/**
 * Small builders for the provisioned Grafana dashboards (schema 39, Grafana 10/11). The JSON under
 * deploy/grafana/dashboards is generated from these (`npm run grafana:generate`), so every
 * panel gets the datasource variable, a grid position and the same look without copy and paste.
 */

/** Every panel and target queries the datasource the `datasource` variable selects. */
export const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const;

/** Label matchers of a service's own metrics: the scrape job (one per service) and the instance. */
export const SVC = 'job=~"$service", instance=~"$instance"';
/** Range of rate() and increase() over a panel's step, as Grafana sizes it. */
export const RATE = '[$__rate_interval]';

/** The three stream processors' metric prefixes (libs/streams names its metrics `<service>_…`). */
export const PROCESSORS = '(sessionizer|aggregator|fraud_detector)';

/** A selector of one libs/streams metric over every processor, e.g. streams('late_events_total'). */
export function streams(suffix: string, extra = ''): string {
  return `{__name__=~"${PROCESSORS}_${suffix}", ${SVC}${extra ? `, ${extra}` : ''}}`;
}

/**
 * Per-second rate of a service's counter, summed by `by` (none: one total), e.g.
 * sumRate('fraud_alerts_total', 'rule'); `extra` adds label matchers.
 */
export function sumRate(metric: string, by = '', extra = ''): string {
  const sum = by ? `sum by (${by}) ` : 'sum';
  return `${sum}(rate(${metric}{${SVC}${extra ? `, ${extra}` : ''}}${RATE}))`;
}

/** p-quantile of a histogram, from the buckets' rate, kept apart by `by`. */
export function quantile(q: number, bucketSelector: string, by: string): string {
  return `histogram_quantile(${q}, sum by (le${by ? `, ${by}` : ''}) (rate(${bucketSelector}[$__rate_interval])))`;
}

/** A time series of service counters' rates (unit ops), a target per [metric, by, legend]. */
export function ratesPanel(
  title: string,
  description: string,
  series: Array<[metric: string, by: string, legend: string]>,
  more: Partial<PanelSpec> = {},
): PanelSpec {
  const queries = series.map(([metric, by, legend]): [string, string] => [
    sumRate(metric, by),
    legend,
  ]);
  return { title, description, queries, unit: 'ops', ...more };
}

/** One service counter's rate, a line per value of `by`: "Alerts / s by rule". */
export function ratePanel(
  title: string,
  description: string,
  metric: string,
  by: string,
  more: Partial<PanelSpec> = {},
): PanelSpec {
  return ratesPanel(title, description, [[metric, by, `{{${by}}}`]], more);
}

/** A time series of a histogram's p50 and p99 in seconds, a pair of lines per value of `by`. */
export function p50AndP99Panel(
  title: string,
  description: string,
  bucketSelector: string,
  by: string,
  more: Partial<PanelSpec> = {},
): PanelSpec {
  const queries: PanelSpec['queries'] = [
    [quantile(0.5, bucketSelector, by), `p50 {{${by}}}`],
    [quantile(0.99, bucketSelector, by), `p99 {{${by}}}`],
  ];
  return { title, description, queries, unit: 's', ...more };
}

export interface Target {
  refId: string;
  datasource: typeof DATASOURCE;
  expr: string;
  legendFormat: string;
  range: boolean;
  instant: boolean;
  format?: 'table' | 'time_series';
}

export type PanelType = 'timeseries' | 'stat' | 'table' | 'bargauge';

export interface Panel {
  id: number;
  type: PanelType;
  title: string;
  description: string;
  datasource: typeof DATASOURCE;
  gridPos: { h: number; w: number; x: number; y: number };
  targets: Target[];
  fieldConfig: { defaults: Record<string, unknown>; overrides: unknown[] };
  options: Record<string, unknown>;
  transformations?: unknown[];
}

export interface PanelSpec {
  type?: PanelType;
  title: string;
  description: string;
  /** [expr, legend] per target; refIds A, B, C… in order. */
  queries: Array<[string, string]>;
  unit?: string;
  /** Grid width (24 = full row) and height. */
  w?: number;
  h?: number;
  /** Instant queries (tables, bar gauges); otherwise range queries as a time series needs. */
  instant?: boolean;
  /** A line or colour step at this value (e.g. an alert threshold). */
  threshold?: number;
  /** Table: sort by this column, descending. */
  sortBy?: string;
}

const TIMESERIES_OPTIONS = {
  legend: { displayMode: 'list', placement: 'bottom', showLegend: true },
  tooltip: { mode: 'multi', sort: 'desc' },
};

function thresholds(threshold?: number) {
  const steps: Array<{ color: string; value: number | null }> = [{ color: 'green', value: null }];
  if (threshold !== undefined) steps.push({ color: 'red', value: threshold });
  return { mode: 'absolute', steps };
}

function fieldConfig(s: PanelSpec): Panel['fieldConfig'] {
  const defaults: Record<string, unknown> = {
    unit: s.unit ?? 'short',
    thresholds: thresholds(s.threshold),
  };
  if ((s.type ?? 'timeseries') === 'timeseries') {
    defaults.custom = {
      drawStyle: 'line',
      lineWidth: 1,
      fillOpacity: 10,
      showPoints: 'never',
      thresholdsStyle: { mode: s.threshold === undefined ? 'off' : 'line' },
    };
  }
  if (s.type === 'table') defaults.custom = { align: 'auto' };
  return { defaults, overrides: [] };
}

function options(s: PanelSpec): Record<string, unknown> {
  const reduce = { calcs: ['lastNotNull'], fields: '', values: false };
  switch (s.type ?? 'timeseries') {
    case 'stat':
      return {
        colorMode: 'value',
        graphMode: 'area',
        justifyMode: 'auto',
        textMode: 'value_and_name',
        reduceOptions: reduce,
      };
    case 'bargauge':
      return {
        displayMode: 'gradient',
        orientation: 'horizontal',
        showUnfilled: true,
        reduceOptions: reduce,
      };
    case 'table':
      return { showHeader: true, sortBy: s.sortBy ? [{ displayName: s.sortBy, desc: true }] : [] };
    default:
      return TIMESERIES_OPTIONS;
  }
}

/** Lays panels out left to right in rows of 24 columns; a panel that does not fit starts a new row. */
export function layout(specs: PanelSpec[]): Panel[] {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  return specs.map((s, i) => {
    const w = s.w ?? 12;
    const h = s.h ?? 8;
    if (x + w > 24) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    const gridPos = { h, w, x, y };
    x += w;
    rowHeight = Math.max(rowHeight, h);
    const instant = s.instant ?? false;
    const panel: Panel = {
      id: i + 1,
      type: s.type ?? 'timeseries',
      title: s.title,
      description: s.description,
      datasource: DATASOURCE,
      gridPos,
      targets: s.queries.map(([expr, legendFormat], t) => ({
        refId: String.fromCharCode(65 + t),
        datasource: DATASOURCE,
        expr,
        legendFormat,
        range: !instant,
        instant,
        ...(s.type === 'table' ? { format: 'table' as const } : {}),
      })),
      fieldConfig: fieldConfig(s),
      options: options(s),
    };
    // A table of an instant query: one row per series, the value in a column named "Value".
    if (s.type === 'table')
      panel.transformations = [{ id: 'organize', options: { excludeByName: { Time: true } } }];
    return panel;
  });
}
