/**
 * Writes the provisioned dashboards (deploy/grafana/dashboards/*.json) from deploy/grafana/builder.
 * Run `npm run grafana:generate` after changing a builder; dashboards.spec.ts fails while
 * the JSON and the builders differ.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allDashboards, dashboardJson } from './builder/all-dashboards';

for (const [file, dashboard] of Object.entries(allDashboards())) {
  writeFileSync(join(__dirname, 'dashboards', file), dashboardJson(dashboard));
  process.stdout.write(
    `wrote deploy/grafana/dashboards/${file} (${dashboard.panels.length} panels)\n`,
  );
}
