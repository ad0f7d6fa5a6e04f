/**
 * The repository's docker-compose.yml and .env.example, loaded once for the compose specs, and the
 * rules they share: which secrets compose must refuse to start without, and where ports bind.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ComposeFile, interpolateDeep, parseCompose, parseEnvFile } from './compose-file';

export const ROOT = join(__dirname, '..', '..');
export const readRepoFile = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** Secrets compose must refuse to start without (README "docker compose"). */
export const REQUIRED_SECRETS = [
  'GRAFANA_ADMIN_PASSWORD',
  'INGEST_API_KEYS',
  'METRICS_API_KEYS',
  'POSTGRES_PASSWORD',
];
export const LOOPBACK = '127.0.0.1';
/** Services published on INFRA_BIND_ADDRESS (no authentication); every other one on BIND_ADDRESS. */
export const INFRA_PORT_SERVICES = ['kafka', 'postgres'];

/** docker-compose.yml as written, merge keys resolved, nothing interpolated. */
export const raw: ComposeFile = parseCompose(readRepoFile('docker-compose.yml'));
/** The values a user starts from: `cp .env.example .env`. */
export const exampleEnv = parseEnvFile(readRepoFile('.env.example'));
/** What compose runs with those values. */
export const compose: ComposeFile = interpolateDeep(raw, exampleEnv);
