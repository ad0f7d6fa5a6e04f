/**
 * How a compiled service is launched outside a container: its entry point and the node flags its
 * service.ts declares (`nodeOptions`), so the demo, the benchmarks and the integration tests run
 * each service as compose, Kubernetes and `npm run start:<name>` do (service-launch.spec.ts checks
 * the start scripts; the deploy specs check NODE_OPTIONS).
 */
import { resolve } from 'node:path';
import * as aggregator from '../../services/aggregator/src/service';
import * as fraudDetector from '../../services/fraud-detector/src/service';
import * as ingest from '../../services/ingest/src/service';
import * as metrics from '../../services/metrics/src/service';
import * as sessionizer from '../../services/sessionizer/src/service';

const ROOT = resolve(__dirname, '../..');

const FLAGS_BY_SERVICE: Record<string, readonly string[]> = Object.fromEntries(
  [ingest, sessionizer, aggregator, fraudDetector, metrics].map((m) => [
    m.SERVICE.name,
    m.SERVICE.nodeOptions,
  ]),
);

/** The compiled entry point of a service (`npm run build` writes it). */
export function serviceMain(name: string): string {
  return resolve(ROOT, 'dist/services', name, 'src/main.js');
}

/** The node flags `name` is launched with. */
export function serviceNodeOptions(name: string): readonly string[] {
  const options = FLAGS_BY_SERVICE[name];
  if (!options) throw new Error(`unknown service "${name}"`);
  return options;
}

/** `node`'s arguments for `name`: its flags, then `extra` (e.g. a profiler's), then its entry point. */
export function serviceArgv(name: string, extra: readonly string[] = []): string[] {
  return [...serviceNodeOptions(name), ...extra, serviceMain(name)];
}
