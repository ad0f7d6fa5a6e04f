import { LARGE_YOUNG_GENERATION, ServiceDefinition, streamsConfig } from '@clickstream/platform';
import { aggregatorConfig } from './aggregator.config';

/** Identity and configuration of the aggregator service (SPEC §1). */
export const SERVICE: ServiceDefinition = {
  name: 'aggregator',
  defaultPort: 3003,
  description: 'Tumbling-window aggregates over event time',
  configs: [streamsConfig, aggregatorConfig],
  nodeOptions: [LARGE_YOUNG_GENERATION],
};
