import { ConfigDefinition, platformConfigs } from '@clickstream/platform';

/** Identity and configuration of the aggregator service (SPEC §1). */
export const SERVICE = {
  name: 'aggregator',
  defaultPort: 3003,
  description: 'Tumbling-window aggregates over event time',
  /** Feature configs of this service, validated at boot alongside the platform's. */
  configs: [] as ConfigDefinition[],
};

export const serviceConfigs = (): ConfigDefinition[] => [...platformConfigs(SERVICE.defaultPort), ...SERVICE.configs];
