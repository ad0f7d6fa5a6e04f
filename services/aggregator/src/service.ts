import { ConfigDefinition, platformConfigs, streamsConfig } from '@clickstream/platform';
import { aggregatorConfig } from './aggregator.config';

/** Identity and configuration of the aggregator service (SPEC §1). */
export const SERVICE = {
  name: 'aggregator',
  defaultPort: 3003,
  description: 'Tumbling-window aggregates over event time',
  /** Feature configs of this service, validated at boot alongside the platform's. */
  configs: [streamsConfig, aggregatorConfig] as ConfigDefinition[],
};

export const serviceConfigs = (): ConfigDefinition[] => [
  ...platformConfigs(SERVICE.defaultPort),
  ...SERVICE.configs,
];
