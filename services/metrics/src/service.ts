import { ConfigDefinition, platformConfigs } from '@clickstream/platform';
import { metricsConfig } from './metrics.config';

/** Identity and configuration of the metrics service (SPEC §1). */
export const SERVICE = {
  name: 'metrics',
  defaultPort: 3005,
  description: 'Query API, business KPIs and consumer lag',
  /** Feature configs of this service, validated at boot alongside the platform's. */
  configs: [metricsConfig] as ConfigDefinition[],
  /** Node flags every launcher starts it with: none, it allocates per request, not per event. */
  nodeOptions: [] as string[],
};

export const serviceConfigs = (): ConfigDefinition[] => [
  ...platformConfigs(SERVICE.defaultPort),
  ...SERVICE.configs,
];
