import { ConfigDefinition, LARGE_YOUNG_GENERATION, platformConfigs } from '@clickstream/platform';
import { ingestConfig } from './ingest.config';

/** Identity and configuration of the ingest service (SPEC §1). */
export const SERVICE = {
  name: 'ingest',
  defaultPort: 3001,
  description:
    'Accepts clickstream events over HTTP (JSON, NDJSON, CSV) and produces them to Kafka',
  /** Ingest needs Kafka alone: no TypeORM connection, and readiness does not wait for Postgres. */
  database: false,
  /** Feature configs of this service, validated at boot alongside the platform's. */
  configs: [ingestConfig] as ConfigDefinition[],
  /** Node flags every launcher starts it with (NODE_OPTIONS in compose and Kubernetes). */
  nodeOptions: [LARGE_YOUNG_GENERATION],
};

export const serviceConfigs = (): ConfigDefinition[] => [
  ...platformConfigs(SERVICE.defaultPort),
  ...SERVICE.configs,
];
