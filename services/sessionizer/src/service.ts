import { LARGE_YOUNG_GENERATION, ServiceDefinition, streamsConfig } from '@clickstream/platform';
import { sessionizerConfig } from './sessionizer.config';

/** Identity and configuration of the sessionizer service (SPEC §1). */
export const SERVICE: ServiceDefinition = {
  name: 'sessionizer',
  defaultPort: 3002,
  description: "Groups each user's events into sessions by event time",
  configs: [streamsConfig, sessionizerConfig],
  nodeOptions: [LARGE_YOUNG_GENERATION],
};
