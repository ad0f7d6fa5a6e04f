/**
 * Static checks of the deployment files: docker-compose.yml, the Dockerfile, Prometheus and Grafana
 * provisioning. Nothing here needs Docker; the compose file is read as YAML (merge keys resolved, as
 * compose does) and checked against the code: ports and config come from each service's
 * `service.ts`, so a renamed or newly required variable fails here before it fails in a container.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ConfigDefinition, databaseConfig, parseEnv } from '@clickstream/platform';
import * as aggregator from '../services/aggregator/src/service';
import * as fraudDetector from '../services/fraud-detector/src/service';
import * as ingest from '../services/ingest/src/service';
import * as metrics from '../services/metrics/src/service';
import * as sessionizer from '../services/sessionizer/src/service';

const ROOT = join(__dirname, '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** SPEC §1 default ports. */
const SPEC_PORTS: Record<string, number> = {
  ingest: 3001,
  sessionizer: 3002,
  aggregator: 3003,
  'fraud-detector': 3004,
  metrics: 3005,
};

/** SPEC §10 topics. */
const SPEC_TOPICS = [
  'clickstream.events.v1',
  'clickstream.events.dlq.v1',
  'clickstream.late.v1',
  'clickstream.sessions.v1',
  'clickstream.aggregates.v1',
  'clickstream.alerts.v1',
];

/**
 * Variables compose passes to a service before its config declares them (API keys, SPEC §3 and §8).
 * Delete an entry once the service's config declares the variable: from then on it is validated like
 * every other one.
 */
const AWAITING_CONFIG: Record<string, string[]> = {};
/** Read by Node itself, not by a service's config. */
const NODE_RUNTIME_VARIABLES = ['NODE_OPTIONS'];

const APP_MODULES = [ingest, sessionizer, aggregator, fraudDetector, metrics];
const APPS = APP_MODULES.map((m) => ({ ...m.SERVICE, configs: m.serviceConfigs() }));
type App = (typeof APPS)[number];

const APP_IMAGE = 'clickstream:local';
const DOCKERFILE = 'deploy/docker/Dockerfile';
const INFRA = ['kafka', 'postgres', 'prometheus', 'grafana'];
const ONE_SHOT = ['kafka-init', 'migrate'];

// --- compose model ------------------------------------------------------------------------------

type EnvValue = string | number | boolean | null;

interface ComposeService {
  image?: string;
  build?: { context?: string; dockerfile?: string };
  command?: string | string[];
  ports?: string[];
  environment?: Record<string, EnvValue>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  depends_on?: Record<string, { condition?: string }>;
  restart?: string;
  volumes?: string[];
}

interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

const compose = parse(read('docker-compose.yml'), { merge: true }) as ComposeFile;

function service(name: string): ComposeService {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service "${name}"`);
  return found;
}

/**
 * Compose interpolation against an empty host environment: `${VAR:-default}` and `${VAR-default}`
 * give the default, `${VAR}` gives '' and `$$` is a literal `$`. Other forms are left as they are.
 */
function interpolate(value: string): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g,
    (match, _name, fallback?: string) => (match === '$$' ? '$' : (fallback ?? '')),
  );
}

/** The raw (uninterpolated) environment map of a service; list form is not used in this file. */
function rawEnv(svc: ComposeService): Record<string, string> {
  const env = svc.environment ?? {};
  expect(Array.isArray(env)).toBe(false);
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

/** The environment a container gets when no host variables are set. */
function containerEnv(svc: ComposeService): Record<string, string> {
  return Object.fromEntries(Object.entries(rawEnv(svc)).map(([k, v]) => [k, interpolate(v)]));
}

function commandOf(svc: ComposeService): string[] {
  return typeof svc.command === 'string' ? [svc.command] : (svc.command ?? []);
}

function healthcheckText(svc: ComposeService): string {
  const test = svc.healthcheck?.test;
  return Array.isArray(test) ? test.join(' ') : (test ?? '');
}

/** Validates `env` against every config of a service; throws the first ConfigValidationError. */
function validateEnv(configs: ConfigDefinition[], env: Record<string, string>): void {
  for (const config of configs) parseEnv(config.envShape, env);
}

const declaredVariables = (configs: ConfigDefinition[]) =>
  new Set(configs.flatMap((config) => Object.keys(config.envShape)));

/** Bind mounts as [host path, container path]; named volumes are skipped. */
function bindMounts(svc: ComposeService): [string, string][] {
  return (svc.volumes ?? [])
    .map((v) => v.split(':'))
    .filter(([source]) => source.startsWith('./') || source.startsWith('../'))
    .map(([source, target]) => [source, target]);
}

// --- docker-compose.yml ---------------------------------------------------------------------

describe('docker-compose.yml', () => {
  it('defines the infrastructure, the one-shot jobs and the five services', () => {
    const names = Object.keys(compose.services);
    for (const name of [...INFRA, ...ONE_SHOT, ...APPS.map((a) => a.name)])
      expect(names).toContain(name);
    expect(APPS.map((a) => a.name).sort()).toEqual(Object.keys(SPEC_PORTS).sort());
  });

  describe.each(APPS.map((app) => [app.name, app] as [string, App]))('service %s', (name, app) => {
    const svc = service(name);
    const port = SPEC_PORTS[name];
    const env = containerEnv(svc);

    it('publishes its SPEC §1 port, which is also its config default and its HTTP_PORT', () => {
      expect(app.defaultPort).toBe(port);
      expect(svc.ports).toEqual([`${port}:${port}`]);
      expect(env.HTTP_PORT).toBe(String(port));
    });

    it('runs its compiled entry point from the shared image', () => {
      expect(commandOf(svc)).toEqual(['node', `dist/services/${name}/src/main.js`]);
      expect(existsSync(join(ROOT, `services/${name}/src/main.ts`))).toBe(true);
      expect(svc.image).toBe(APP_IMAGE);
      expect(svc.build).toEqual({ context: '.', dockerfile: DOCKERFILE });
    });

    it('probes its own /health/ready and restarts unless stopped', () => {
      const test = svc.healthcheck?.test;
      expect(Array.isArray(test)).toBe(true);
      expect(['CMD', 'CMD-SHELL']).toContain((test as string[])[0]);
      expect(healthcheckText(svc)).toContain(`http://127.0.0.1:${port}/health/ready`);
      expect(svc.restart).toBe('unless-stopped');
    });

    it('starts after Kafka, the topics, Postgres and the migrations', () => {
      expect(svc.depends_on).toEqual({
        kafka: { condition: 'service_healthy' },
        'kafka-init': { condition: 'service_completed_successfully' },
        postgres: { condition: 'service_healthy' },
        migrate: { condition: 'service_completed_successfully' },
      });
    });

    it("has an environment that passes the service's config validation", () => {
      expect(() => validateEnv(app.configs, env)).not.toThrow();
    });

    it('sets only variables that its config declares', () => {
      const known = declaredVariables(app.configs);
      const awaiting = AWAITING_CONFIG[name] ?? [];
      const unknown = Object.keys(env).filter((k) => !known.has(k) && !awaiting.includes(k) && !NODE_RUNTIME_VARIABLES.includes(k));
      expect(unknown).toEqual([]);
    });
  });

  it('points the services at the compose Kafka and Postgres', () => {
    const kafkaEnv = containerEnv(service('kafka'));
    const pg = containerEnv(service('postgres'));
    for (const name of [...APPS.map((a) => a.name), 'migrate']) {
      const env = containerEnv(service(name));
      if (name !== 'migrate') {
        for (const broker of env.KAFKA_BROKERS.split(',')) {
          expect(kafkaEnv.KAFKA_ADVERTISED_LISTENERS.split(',')).toContain(`PLAINTEXT://${broker}`);
        }
      }
      const url = new URL(env.DATABASE_URL);
      expect(url.hostname).toBe('postgres');
      expect(url.port || '5432').toBe('5432');
      expect(decodeURIComponent(url.username)).toBe(pg.POSTGRES_USER);
      expect(decodeURIComponent(url.password)).toBe(pg.POSTGRES_PASSWORD);
      expect(url.pathname).toBe(`/${pg.POSTGRES_DB}`);
    }
  });

  it('runs Kafka 3.9 as a single-node KRaft broker+controller with a healthcheck', () => {
    const kafka = service('kafka');
    const env = containerEnv(kafka);
    expect(kafka.image).toMatch(/^apache\/kafka:3\.9\.\d+$/);
    expect(env.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(Buffer.from(env.CLUSTER_ID, 'base64url')).toHaveLength(16);
    expect(env.KAFKA_CONTROLLER_QUORUM_VOTERS).toBe(`${env.KAFKA_NODE_ID}@kafka:9093`);
    expect(env.KAFKA_LISTENERS.split(',')).toEqual(
      expect.arrayContaining([
        'PLAINTEXT://:9092',
        'CONTROLLER://:9093',
        'PLAINTEXT_HOST://:19092',
      ]),
    );
    expect(env.KAFKA_ADVERTISED_LISTENERS.split(',').sort()).toEqual([
      'PLAINTEXT://kafka:9092',
      'PLAINTEXT_HOST://localhost:19092',
    ]);
    expect(kafka.ports).toContain('19092:19092');
    for (const key of [
      'KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR',
      'KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR',
      'KAFKA_TRANSACTION_STATE_LOG_MIN_ISR',
    ]) {
      expect(env[key]).toBe('1');
    }
    expect(healthcheckText(kafka)).toContain(
      'kafka-broker-api-versions.sh --bootstrap-server localhost:9092',
    );
  });

  it('creates every SPEC §10 topic once Kafka is healthy, idempotently, with configurable partitions', () => {
    const init = service('kafka-init');
    const env = containerEnv(init);
    const script = commandOf(init).join(' ');
    expect(init.image).toBe(service('kafka').image);
    expect(init.depends_on).toEqual({ kafka: { condition: 'service_healthy' } });
    expect(script).toContain('kafka-topics.sh');
    expect(script).toContain('--create --if-not-exists');
    expect(env.TOPICS.split(/\s+/)).toEqual(SPEC_TOPICS);
    expect(env.TOPIC_PARTITIONS).toBe('6');
    expect(rawEnv(init).TOPIC_PARTITIONS).toBe('${KAFKA_TOPIC_PARTITIONS:-6}');
    // The services create missing topics with the same partition count.
    for (const app of APPS)
      expect(rawEnv(service(app.name)).KAFKA_TOPIC_PARTITIONS).toBe('${KAFKA_TOPIC_PARTITIONS:-6}');
  });

  it('runs Postgres 16 with a healthcheck and a named volume', () => {
    const pg = service('postgres');
    expect(pg.image).toMatch(/^postgres:16(\.\d+)?(-[a-z0-9]+)?$/);
    expect(healthcheckText(pg)).toContain('pg_isready');
    expect(pg.volumes).toContain('postgres-data:/var/lib/postgresql/data');
  });

  it('migrates the database once Postgres is healthy, from the app image', () => {
    const migrate = service('migrate');
    const env = containerEnv(migrate);
    expect(migrate.image).toBe(APP_IMAGE);
    expect(migrate.build).toEqual({ context: '.', dockerfile: DOCKERFILE });
    expect(commandOf(migrate)).toEqual(['node', 'dist/libs/platform/src/database/migrate.js']);
    expect(existsSync(join(ROOT, 'libs/platform/src/database/migrate.ts'))).toBe(true);
    expect(migrate.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    expect(() => parseEnv(databaseConfig.envShape, env)).not.toThrow();
    expect(Object.keys(env).filter((k) => !(k in databaseConfig.envShape))).toEqual([]);
  });

  it('never restarts the one-shot jobs and keeps everything else running with a healthcheck', () => {
    for (const name of ONE_SHOT) {
      expect(['no', undefined]).toContain(service(name).restart);
    }
    for (const name of [...INFRA, ...APPS.map((a) => a.name)]) {
      const svc = service(name);
      expect({ name, restart: svc.restart }).toEqual({ name, restart: 'unless-stopped' });
      expect({ name, healthcheck: healthcheckText(svc).length > 0 }).toEqual({
        name,
        healthcheck: true,
      });
      expect(svc.healthcheck?.disable).not.toBe(true);
    }
  });

  it('scrapes with Prometheus and shows Grafana with anonymous viewers', () => {
    const prometheus = service('prometheus');
    expect(prometheus.image).toMatch(/^prom\/prometheus:/);
    expect(prometheus.volumes).toContain(
      './deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro',
    );
    expect(commandOf(prometheus)).toContain('--config.file=/etc/prometheus/prometheus.yml');

    const grafana = service('grafana');
    const env = containerEnv(grafana);
    expect(grafana.image).toMatch(/^grafana\/grafana:/);
    expect(env.GF_AUTH_ANONYMOUS_ENABLED).toBe('true');
    expect(env.GF_AUTH_ANONYMOUS_ORG_ROLE).toBe('Viewer');
    expect(rawEnv(grafana).GF_SECURITY_ADMIN_PASSWORD).toBe('${GRAFANA_ADMIN_PASSWORD:-admin}');
    expect(bindMounts(grafana)).toEqual(
      expect.arrayContaining([['./deploy/grafana/provisioning', '/etc/grafana/provisioning']]),
    );
  });

  it('mounts files that exist and declares its named volumes', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const [source] of bindMounts(svc)) {
        expect({ name, source, exists: existsSync(join(ROOT, source)) }).toEqual({
          name,
          source,
          exists: true,
        });
      }
      for (const volume of svc.volumes ?? []) {
        const [source] = volume.split(':');
        if (!source.startsWith('.') && !source.startsWith('/'))
          expect(Object.keys(compose.volumes ?? {})).toContain(source);
      }
      if (svc.build?.dockerfile)
        expect(existsSync(join(ROOT, svc.build.context ?? '.', svc.build.dockerfile))).toBe(true);
    }
  });

  it('commits no secret: passwords, keys and URL credentials come from ${...}', () => {
    const fromHost = /^\$\{[A-Za-z_][A-Za-z0-9_]*(:?-[^}]*)?\}$/;
    const secretName = /PASSWORD|SECRET|TOKEN|API_KEYS?$|CREDENTIAL/;
    const checked: string[] = [];
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const [key, value] of Object.entries(rawEnv(svc))) {
        if (secretName.test(key)) {
          checked.push(`${name}.${key}`);
          expect({ variable: `${name}.${key}`, value }).toEqual({
            variable: `${name}.${key}`,
            value: expect.stringMatching(fromHost),
          });
        }
        const credentials = /^[a-z][a-z0-9+.-]*:\/\/[^:@/]*:([^@]+)@/i.exec(value);
        if (credentials) {
          checked.push(`${name}.${key}`);
          expect({ variable: `${name}.${key}`, password: credentials[1] }).toEqual({
            variable: `${name}.${key}`,
            password: expect.stringMatching(fromHost),
          });
        }
      }
    }
    expect(checked).toEqual(
      expect.arrayContaining([
        'postgres.POSTGRES_PASSWORD',
        'grafana.GF_SECURITY_ADMIN_PASSWORD',
        'ingest.DATABASE_URL',
      ]),
    );
  });
});

// --- Dockerfile ------------------------------------------------------------------------------

interface Instruction {
  keyword: string;
  args: string;
}

interface Stage {
  name: string;
  base: string;
  instructions: Instruction[];
}

/** Dockerfile instructions, continuation lines joined, comments and blank lines dropped. */
function dockerInstructions(text: string): Instruction[] {
  const logical = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  return logical.map((line) => {
    const [keyword, ...rest] = line.split(/\s+/);
    return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
  });
}

function dockerStages(instructions: Instruction[]): Stage[] {
  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const [image, as, name] = ins.args.split(/\s+/);
      const base = image.replace(/\$\{?(\w+)\}?/g, (_m, arg: string) => globalArgs.get(arg) ?? '');
      stages.push({
        name: as?.toUpperCase() === 'AS' ? name : String(stages.length),
        base,
        instructions: [],
      });
    } else if (stages.length === 0 && ins.keyword === 'ARG') {
      const [key, value = ''] = ins.args.split('=');
      globalArgs.set(key, value);
    } else {
      stages.at(-1)?.instructions.push(ins);
    }
  }
  return stages;
}

describe('deploy/docker/Dockerfile', () => {
  const stages = dockerStages(dockerInstructions(read(DOCKERFILE)));
  const stage = (name: string) => stages.find((s) => s.name === name);
  const runs = (name: string) =>
    (stage(name)?.instructions ?? []).filter((i) => i.keyword === 'RUN').map((i) => i.args);
  const final = stages.at(-1)!;

  it('builds in deps, build and runtime stages on node:20-bookworm-slim', () => {
    expect(stages.map((s) => s.name)).toEqual(['deps', 'build', 'runtime']);
    expect(stage('deps')?.base).toBe('node:20-bookworm-slim');
    expect(stage('build')?.base).toBe('deps');
    expect(final.base).toBe('node:20-bookworm-slim');
    expect(runs('deps').join(' ')).toMatch(/\bnpm ci\b/);
    expect(runs('build').join(' ')).toMatch(/npm run build .*npm prune --omit=dev/);
  });

  it('ships only dist/, production node_modules and package.json, in production mode', () => {
    const copies = final.instructions.filter((i) => i.keyword === 'COPY');
    const sources = copies.map((i) => {
      expect(i.args).toMatch(/^--from=build\s/);
      return i.args.split(/\s+/).at(-2);
    });
    expect(sources.sort()).toEqual(['/app/dist', '/app/node_modules', '/app/package.json']);
    expect(final.instructions).toContainEqual({ keyword: 'ENV', args: 'NODE_ENV=production' });
  });

  it('runs as the non-root node user and checks /health/live on HTTP_PORT', () => {
    const users = final.instructions.filter((i) => i.keyword === 'USER');
    expect(users.at(-1)?.args).toBe('node');
    const healthcheck = final.instructions.find((i) => i.keyword === 'HEALTHCHECK');
    expect(healthcheck?.args).toContain('/health/live');
    expect(healthcheck?.args).toMatch(/\$\{HTTP_PORT(:-\d+)?\}/);
  });

  it('bakes in no secrets', () => {
    for (const s of stages) {
      for (const ins of s.instructions.filter((i) => i.keyword === 'ARG' || i.keyword === 'ENV')) {
        expect(ins.args).not.toMatch(/PASSWORD|SECRET|TOKEN|API_KEY|DATABASE_URL/i);
      }
    }
  });

  it('has a .dockerignore that keeps local artefacts and env files out of the context', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(ignored).toEqual(
      expect.arrayContaining([
        'node_modules',
        'dist',
        '.git',
        'coverage',
        'logs',
        '*.log',
        '.env*',
      ]),
    );
  });
});

// --- Prometheus and Grafana ------------------------------------------------------------------

interface ScrapeConfig {
  job_name: string;
  metrics_path?: string;
  scrape_interval?: string;
  static_configs?: { targets: string[] }[];
}

describe('deploy/prometheus/prometheus.yml', () => {
  const config = parse(read('deploy/prometheus/prometheus.yml')) as {
    global?: { scrape_interval?: string };
    scrape_configs: ScrapeConfig[];
  };

  it.each(Object.entries(SPEC_PORTS))('scrapes %s /metrics at its port every 5s', (name, port) => {
    const jobs = config.scrape_configs.filter((job) =>
      (job.static_configs ?? []).some((sc) => sc.targets.includes(`${name}:${port}`)),
    );
    expect(jobs).toHaveLength(1);
    const [job] = jobs;
    expect(job.metrics_path ?? '/metrics').toBe('/metrics');
    expect(job.scrape_interval ?? config.global?.scrape_interval).toBe('5s');
  });
});

describe('Grafana provisioning', () => {
  const datasources = parse(read('deploy/grafana/provisioning/datasources/prometheus.yml')) as {
    datasources: { uid: string; type: string; url: string }[];
  };
  const providers = parse(read('deploy/grafana/provisioning/dashboards/dashboards.yml')) as {
    providers: { type: string; options: { path: string } }[];
  };
  const dashboard = JSON.parse(read('deploy/grafana/dashboards/clickstream-overview.json')) as {
    title: string;
    schemaVersion: number;
    panels: {
      id: number;
      title: string;
      datasource?: { uid?: string };
      targets?: { expr?: string }[];
    }[];
  };

  it('provisions the compose Prometheus as a datasource', () => {
    expect(datasources.datasources).toContainEqual(
      expect.objectContaining({ type: 'prometheus', url: 'http://prometheus:9090' }),
    );
  });

  it('loads dashboards from where compose mounts them', () => {
    const mounted = new Map(bindMounts(service('grafana')));
    expect(providers.providers).toContainEqual(
      expect.objectContaining({
        type: 'file',
        options: expect.objectContaining({ path: mounted.get('./deploy/grafana/dashboards') }),
      }),
    );
  });

  it('has a "Clickstream overview" dashboard whose panels all query the provisioned datasource', () => {
    const uids = datasources.datasources.map((d) => d.uid);
    expect(dashboard.title).toBe('Clickstream overview');
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.panels.length).toBeGreaterThan(0);
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    for (const panel of dashboard.panels) {
      const exprs = (panel.targets ?? []).map((t) => t.expr?.trim() ?? '').filter(Boolean);
      expect({ panel: panel.title, queries: exprs.length > 0 }).toEqual({
        panel: panel.title,
        queries: true,
      });
      expect(uids).toContain(panel.datasource?.uid);
    }
  });

  it.each([
    'up',
    'process_cpu_seconds_total',
    'process_resident_memory_bytes',
    'ingest_events_total',
    'kafka_consumergroup_lag',
    'clickstream_active_sessions',
    'clickstream_events_per_minute',
    'fraud_alerts_total',
  ])('charts %s', (metric) => {
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? ''));
    expect(exprs.some((expr) => new RegExp(`\\b${metric}\\b`).test(expr))).toBe(true);
  });
});
