import { fraud, ingest, overview } from './business';
import { Dashboard } from './dashboard';
import { pipeline, runtime } from './system';

/** File name (under deploy/grafana/dashboards) → dashboard. The overview keeps its old file name. */
export function allDashboards(): Record<string, Dashboard> {
  return {
    'clickstream-overview.json': overview(),
    'clickstream-pipeline.json': pipeline(),
    'clickstream-ingest.json': ingest(),
    'clickstream-fraud.json': fraud(),
    'clickstream-runtime.json': runtime(),
  };
}

export const dashboardJson = (d: Dashboard) => `${JSON.stringify(d, null, 2)}\n`;
