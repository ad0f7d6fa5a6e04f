import { DATASOURCE, layout, Panel, PanelSpec } from './panels';

export type VariableName = 'datasource' | 'service' | 'instance' | 'group';

/**
 * Template variables. `service` lists the scrape jobs of Node.js processes only (nodejs_version_info
 * is exported by the five services, not by Prometheus), so "All" never brings in Prometheus's own
 * process metrics: the blank series the old CPU and memory panels had. No custom allValue: Grafana's
 * "All" then expands to the listed values, `(a|b|c)`, exactly what the dashboard test substitutes.
 */
export const VARIABLE_QUERIES: Record<Exclude<VariableName, 'datasource'>, string> = {
  service: 'label_values(nodejs_version_info, job)',
  instance: 'label_values(nodejs_version_info{job=~"$service"}, instance)',
  group: 'label_values(kafka_consumergroup_lag, group)',
};

const LABELS: Record<VariableName, string> = {
  datasource: 'Data source',
  service: 'Service',
  instance: 'Instance',
  group: 'Consumer group',
};

function variable(name: VariableName): Record<string, unknown> {
  if (name === 'datasource') {
    return {
      name,
      label: LABELS[name],
      type: 'datasource',
      query: 'prometheus',
      regex: '',
      current: {},
      hide: 0,
      includeAll: false,
      multi: false,
      options: [],
      refresh: 1,
    };
  }
  const query = VARIABLE_QUERIES[name];
  return {
    name,
    label: LABELS[name],
    type: 'query',
    datasource: DATASOURCE,
    definition: query,
    query: { query, refId: 'StandardVariableQuery' },
    // 2: on time range change, so a restarted instance or a new group shows up.
    refresh: 2,
    regex: '',
    sort: 1,
    hide: 0,
    includeAll: true,
    multi: true,
    current: { selected: true, text: ['All'], value: ['$__all'] },
    options: [],
  };
}

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  panels: PanelSpec[];
}

/**
 * Every dashboard picks a datasource, services and instances; and a consumer group where a panel
 * filters by one.
 */
function variablesOf(panels: PanelSpec[]): VariableName[] {
  const byGroup = panels.some((p) => p.queries.some(([expr]) => expr.includes('$group')));
  return ['datasource', 'service', 'instance', ...(byGroup ? (['group'] as const) : [])];
}

export interface Dashboard {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  templating: { list: Array<Record<string, unknown>> };
  panels: Panel[];
  [key: string]: unknown;
}

export function dashboard(s: DashboardSpec): Dashboard {
  return {
    uid: s.uid,
    title: s.title,
    description: s.description,
    tags: ['clickstream'],
    timezone: 'utc',
    editable: false,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    refresh: '10s',
    time: { from: 'now-1h', to: 'now' },
    timepicker: {},
    templating: { list: variablesOf(s.panels).map(variable) },
    annotations: { list: [] },
    // Every Clickstream dashboard links to the others.
    links: [
      {
        type: 'dashboards',
        tags: ['clickstream'],
        asDropdown: true,
        title: 'Clickstream',
        includeVars: true,
        keepTime: true,
      },
    ],
    panels: layout(s.panels),
  };
}
