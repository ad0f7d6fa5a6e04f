import { ConfigDefinition, platformConfigs, streamsConfig } from '@clickstream/platform';
import { sessionizerConfig } from './sessionizer.config';

/** Identity and configuration of the sessionizer service (SPEC §1). */
export const SERVICE = {
  name: 'sessionizer',
  defaultPort: 3002,
  description: "Groups each user's events into sessions by event time",
  /** Feature configs of this service, validated at boot alongside the platform's. */
  configs: [streamsConfig, sessionizerConfig] as ConfigDefinition[],
};

export const serviceConfigs = (): ConfigDefinition[] => [
  ...platformConfigs(SERVICE.defaultPort),
  ...SERVICE.configs,
];
