import { ConfigDefinition, platformConfigs, streamsConfig } from '@clickstream/platform';
import { fraudConfig } from './fraud.config';

/** Identity and configuration of the fraud-detector service (SPEC §1). */
export const SERVICE = {
  name: 'fraud-detector',
  defaultPort: 3004,
  description: 'Fraud and anomaly rules over event time',
  /** Feature configs of this service, validated at boot alongside the platform's. */
  configs: [streamsConfig, fraudConfig] as ConfigDefinition[],
};

export const serviceConfigs = (): ConfigDefinition[] => [
  ...platformConfigs(SERVICE.defaultPort),
  ...SERVICE.configs,
];
