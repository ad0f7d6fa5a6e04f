import { fraudPanels, ingestPanels, overviewPanels } from './business';
import { Dashboard, dashboard } from './dashboard';
import { PanelSpec } from './panels';
import { pipelinePanels, runtimePanels } from './system';

/** Each dashboard, written to deploy/grafana/dashboards/<uid>.json: the question it answers, its panels. */
const DASHBOARDS: Array<[uid: string, title: string, description: string, () => PanelSpec[]]> = [
  [
    'clickstream-overview',
    'Clickstream overview',
    'Is it up, is traffic flowing, what are the business figures (SPEC §8), is anyone behind?',
    overviewPanels,
  ],
  [
    'clickstream-pipeline',
    'Clickstream pipeline health',
    'Are the stream processors keeping up, committing, and processing every record?',
    pipelinePanels,
  ],
  [
    'clickstream-ingest',
    'Clickstream ingest',
    'Is the ingest API taking events, how fast, and is Kafka keeping up with it?',
    ingestPanels,
  ],
  [
    'clickstream-fraud',
    'Clickstream fraud',
    'Which rules fire, how often, and how fast are they detected?',
    fraudPanels,
  ],
  [
    'clickstream-runtime',
    'Clickstream runtime',
    'How much CPU and memory does each service use, and is its event loop healthy?',
    runtimePanels,
  ],
];

/** File name (under deploy/grafana/dashboards) → dashboard. The overview keeps its old file name. */
export function allDashboards(): Record<string, Dashboard> {
  return Object.fromEntries(
    DASHBOARDS.map(([uid, title, description, panels]) => [
      `${uid}.json`,
      dashboard({ uid, title, description, panels: panels() }),
    ]),
  );
}

export const dashboardJson = (d: Dashboard) => `${JSON.stringify(d, null, 2)}\n`;
