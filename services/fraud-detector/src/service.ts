import { LARGE_YOUNG_GENERATION, ServiceDefinition, streamsConfig } from '@clickstream/platform';
import { fraudConfig } from './fraud.config';

/** Identity and configuration of the fraud-detector service (SPEC §1). */
export const SERVICE: ServiceDefinition = {
  name: 'fraud-detector',
  defaultPort: 3004,
  description: 'Fraud and anomaly rules over event time',
  configs: [streamsConfig, fraudConfig],
  nodeOptions: [LARGE_YOUNG_GENERATION],
};
