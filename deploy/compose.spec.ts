/**
 * Static checks of docker-compose.yml, .env.example and the Prometheus and Grafana provisioning
 * (the Dockerfile: deploy/docker/dockerfile.spec.ts). Nothing here needs Docker: the compose file is
 * read as compose reads it (deploy/docker/compose-file.ts) and checked against the code: ports and
 * config come from each service's `service.ts`, so a renamed or newly required variable fails here
 * before it fails in a container. "Effective" values are those after `cp .env.example .env`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { ConfigDefinition, databaseConfig, parseEnv, serviceConfigs } from '@clickstream/platform';
import * as aggregator from '../services/aggregator/src/service';
import * as fraudDetector from '../services/fraud-detector/src/service';
import * as ingest from '../services/ingest/src/service';
import * as metrics from '../services/metrics/src/service';
import * as sessionizer from '../services/sessionizer/src/service';
import {
  bindMounts,
  commandOf,
  ComposeFile,
  ComposeService,
  envOf,
  healthcheckText,
} from './docker/compose-file';
import { compose, LOOPBACK, raw, ROOT } from './docker/compose-project';

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

/** Read by Node itself, not by a service's config. */
const NODE_RUNTIME_VARIABLES = ['NODE_OPTIONS'];

const APP_MODULES = [ingest, sessionizer, aggregator, fraudDetector, metrics];
const APPS = APP_MODULES.map((m) => ({ ...m.SERVICE, configs: serviceConfigs(m.SERVICE) }));
const APP_NAMES = APPS.map((a) => a.name);
type App = (typeof APPS)[number];

const APP_IMAGE = 'clickstream:local';
const DOCKERFILE = 'deploy/docker/Dockerfile';
const INFRA = ['kafka', 'postgres', 'prometheus', 'grafana'];
const ONE_SHOT = ['kafka-init', 'migrate'];

/** Every image but the locally built one, pinned to a patch release of the line this file targets. */
const PINNED_IMAGES: Record<string, RegExp> = {
  kafka: /^apache\/kafka:4\.1\.\d+$/,
  'kafka-init': /^apache\/kafka:4\.1\.\d+$/,
  postgres: /^postgres:16\.\d+(-bookworm)?$/, // PostgreSQL's minor releases are its patch releases
  prometheus: /^prom\/prometheus:v\d+\.\d+\.\d+$/,
  grafana: /^grafana\/grafana:\d+\.\d+\.\d+$/,
};

function serviceIn(file: ComposeFile, name: string): ComposeService {
  const found = file.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service "${name}"`);
  return found;
}
const service = (name: string) => serviceIn(compose, name);
const rawEnv = (name: string) => envOf(serviceIn(raw, name));
const effectiveEnv = (name: string) => envOf(service(name));

function validateEnv(configs: ConfigDefinition[], env: Record<string, string>): void {
  for (const config of configs) parseEnv(config.envShape, env);
}

const declaredVariables = (configs: ConfigDefinition[]) =>
  new Set(configs.flatMap((config) => Object.keys(config.envShape)));

// --- services --------------------------------------------------------------------------------

describe('docker-compose.yml', () => {
  it('defines the infrastructure, the one-shot jobs and the five services', () => {
    const names = Object.keys(compose.services);
    for (const name of [...INFRA, ...ONE_SHOT, ...APP_NAMES]) expect(names).toContain(name);
    expect([...APP_NAMES].sort()).toEqual(Object.keys(SPEC_PORTS).sort());
  });

  describe.each(APPS.map((app) => [app.name, app] as [string, App]))('service %s', (name, app) => {
    const svc = service(name);
    const port = SPEC_PORTS[name];
    const env = effectiveEnv(name);

    it('publishes its SPEC §1 port on BIND_ADDRESS, which is also its config default and its HTTP_PORT', () => {
      expect(app.defaultPort).toBe(port);
      expect(serviceIn(raw, name).ports).toEqual([`\${BIND_ADDRESS:-${LOOPBACK}}:${port}:${port}`]);
      expect(env.HTTP_PORT).toBe(String(port));
    });

    it('runs its compiled entry point from the shared image, read-only and without capabilities', () => {
      expect(commandOf(svc)).toEqual(['node', `dist/services/${name}/src/main.js`]);
      expect(existsSync(join(ROOT, `services/${name}/src/main.ts`))).toBe(true);
      expect(svc.image).toBe(APP_IMAGE);
      expect(svc.build).toEqual({ context: '.', dockerfile: DOCKERFILE });
      expect(svc.read_only).toBe(true);
      expect(svc.cap_drop).toEqual(['ALL']);
      expect(svc.security_opt).toContain('no-new-privileges:true');
    });

    it('starts node with the flags its service.ts declares, as NODE_OPTIONS', () => {
      expect(env.NODE_OPTIONS).toBe(
        app.nodeOptions.length > 0 ? app.nodeOptions.join(' ') : undefined,
      );
    });

    it('gets as long to stop cleanly as in Kubernetes (its terminationGracePeriodSeconds)', () => {
      const deployment = parseAllDocuments(read(`deploy/k8s/base/${name}.yaml`))
        .map(
          (d) =>
            d.toJS() as { kind?: string; spec?: { template?: { spec?: Record<string, unknown> } } },
        )
        .find((d) => d.kind === 'Deployment');
      const seconds = deployment?.spec?.template?.spec?.terminationGracePeriodSeconds;
      expect(typeof seconds).toBe('number');
      expect(svc.stop_grace_period).toBe(`${String(seconds)}s`);
    });

    it('probes its own /health/ready and restarts unless stopped', () => {
      const test = svc.healthcheck?.test;
      expect(Array.isArray(test)).toBe(true);
      expect(['CMD', 'CMD-SHELL']).toContain((test as string[])[0]);
      expect(healthcheckText(svc)).toContain(`http://127.0.0.1:${port}/health/ready`);
      expect(svc.restart).toBe('unless-stopped');
    });

    it('starts after Kafka, the topics, Postgres and the completed migrations', () => {
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
      const unknown = Object.keys(env).filter(
        (k) => !known.has(k) && !NODE_RUNTIME_VARIABLES.includes(k),
      );
      expect(unknown).toEqual([]);
    });
  });

  it('points the services at the compose Kafka and Postgres', () => {
    const kafkaEnv = effectiveEnv('kafka');
    const pg = effectiveEnv('postgres');
    for (const name of [...APP_NAMES, 'migrate']) {
      const env = effectiveEnv(name);
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

  it('runs Kafka 4.1 as a single-node KRaft broker+controller with a healthcheck', () => {
    const kafka = service('kafka');
    const env = effectiveEnv('kafka');
    expect(env.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(Buffer.from(env.CLUSTER_ID, 'base64url')).toHaveLength(16);
    // A static quorum: Kafka 4 formats it with the cluster id alone (no --standalone needed).
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
    expect(serviceIn(raw, 'kafka').ports).toEqual([
      `\${INFRA_BIND_ADDRESS:-${LOOPBACK}}:19092:19092`,
    ]);
    for (const key of [
      'KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR',
      'KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR',
      'KAFKA_TRANSACTION_STATE_LOG_MIN_ISR',
    ]) {
      expect(env[key]).toBe('1');
    }
    // The apache/kafka image turns every KAFKA_* variable but a few into a broker property.
    expect(Object.keys(env).filter((k) => /^KAFKA_(HEAP|JVM|OPTS)/.test(k))).toEqual([]);
    expect(healthcheckText(kafka)).toContain(
      'kafka-broker-api-versions.sh --bootstrap-server localhost:9092',
    );
  });

  it('creates every SPEC §10 topic once Kafka is healthy, idempotently, with configurable partitions', () => {
    const init = service('kafka-init');
    const env = effectiveEnv('kafka-init');
    const script = commandOf(init).join(' ');
    expect(init.image).toBe(service('kafka').image);
    expect(init.depends_on).toEqual({ kafka: { condition: 'service_healthy' } });
    expect(script).toContain('kafka-topics.sh');
    expect(script).toContain('--create --if-not-exists');
    expect(env.TOPICS.split(/\s+/)).toEqual(SPEC_TOPICS);
    // The fraud rules' table topic: one partition, compacted (contracts: topicSpecs).
    expect(env.TABLE_TOPICS).toBe('clickstream.rules.v1');
    expect(script).toContain('--config cleanup.policy=compact');
    expect(env.TOPIC_PARTITIONS).toBe('6');
    expect(rawEnv('kafka-init').TOPIC_PARTITIONS).toBe('${KAFKA_TOPIC_PARTITIONS:-6}');
    // The services create missing topics with the same partition count.
    for (const name of APP_NAMES)
      expect(rawEnv(name).KAFKA_TOPIC_PARTITIONS).toBe('${KAFKA_TOPIC_PARTITIONS:-6}');
  });

  it('runs Postgres 16 with a healthcheck and a named volume', () => {
    const pg = service('postgres');
    expect(healthcheckText(pg)).toContain('pg_isready');
    expect(pg.volumes).toContain('postgres-data:/var/lib/postgresql/data');
  });

  it('migrates once Postgres is healthy, from the app image, as a job without an HTTP healthcheck', () => {
    const migrate = service('migrate');
    const env = effectiveEnv('migrate');
    expect(migrate.image).toBe(APP_IMAGE);
    expect(migrate.build).toEqual({ context: '.', dockerfile: DOCKERFILE });
    expect(commandOf(migrate)).toEqual(['node', 'dist/libs/platform/src/database/migrate.js']);
    expect(existsSync(join(ROOT, 'libs/platform/src/database/migrate.ts'))).toBe(true);
    expect(migrate.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    expect(() => parseEnv(databaseConfig.envShape, env)).not.toThrow();
    expect(Object.keys(env).filter((k) => !(k in databaseConfig.envShape))).toEqual([]);
    // It runs and exits: the image's /health/live check would only ever fail, so it is disabled.
    expect(migrate.healthcheck).toEqual({ disable: true });
    expect(migrate.restart).toBe('no');
    expect(migrate.read_only).toBe(true);
  });

  it('never restarts the one-shot jobs and keeps everything else running with a healthcheck', () => {
    for (const name of ONE_SHOT) {
      expect({ name, restart: service(name).restart }).toEqual({ name, restart: 'no' });
      expect({ name, healthcheck: service(name).healthcheck }).toEqual({
        name,
        healthcheck: { disable: true },
      });
    }
    for (const name of [...INFRA, ...APP_NAMES]) {
      const svc = service(name);
      expect({ name, restart: svc.restart }).toEqual({ name, restart: 'unless-stopped' });
      expect({ name, healthcheck: healthcheckText(svc).length > 0 }).toEqual({
        name,
        healthcheck: true,
      });
      expect(svc.healthcheck?.disable).not.toBe(true);
    }
  });

  it.each(Object.entries(PINNED_IMAGES))('pins %s to a patch release', (name, pattern) => {
    expect({ name, image: service(name).image }).toEqual({
      name,
      image: expect.stringMatching(pattern),
    });
  });

  it('runs the same Kafka and Postgres images as the local Kubernetes overlay', () => {
    // Two deploy paths on different releases would test one and ship the other.
    const imagesIn = (path: string) =>
      [...read(path).matchAll(/^\s+image: *(\S+)\s*$/gm)].map((match) => match[1]);
    expect({
      kafka: imagesIn('deploy/k8s/overlays/local/kafka.yaml'),
      postgres: imagesIn('deploy/k8s/overlays/local/postgres.yaml'),
    }).toEqual({ kafka: [service('kafka').image], postgres: [service('postgres').image] });
  });

  it('builds every other service from the Dockerfile; no image floats', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      if (!(name in PINNED_IMAGES))
        expect({ name, image: svc.image }).toEqual({ name, image: APP_IMAGE });
      expect(svc.image).not.toMatch(/:latest$|^[^:]+$/);
    }
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
    rule_files?: string[];
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

  it('is mounted with its alert rules where its rule_files point', () => {
    const prometheus = service('prometheus');
    const mounts = new Map(bindMounts(prometheus));
    const configPath = mounts.get('./deploy/prometheus/prometheus.yml');
    expect(configPath).toBe('/etc/prometheus/prometheus.yml');
    expect(commandOf(prometheus)).toContain(`--config.file=${configPath}`);
    expect(prometheus.volumes).toContain('./deploy/prometheus/rules:/etc/prometheus/rules:ro');
    expect(config.rule_files).toContain('rules/*.yml');
    // rule_files are relative to the config file: rules/*.yml is the mounted directory.
    for (const pattern of config.rule_files ?? []) {
      expect(posix.join(posix.dirname(configPath!), posix.dirname(pattern))).toBe(
        mounts.get('./deploy/prometheus/rules'),
      );
    }
  });
});

describe('Grafana', () => {
  const datasources = parse(read('deploy/grafana/provisioning/datasources/prometheus.yml')) as {
    datasources: { uid: string; type: string; url: string }[];
  };
  const providers = parse(read('deploy/grafana/provisioning/dashboards/dashboards.yml')) as {
    providers: { type: string; options: { path: string } }[];
  };
  const grafana = service('grafana');
  const env = effectiveEnv('grafana');
  const dashboardDir = 'deploy/grafana/dashboards';
  const dashboardFiles = readdirSync(join(ROOT, dashboardDir)).filter((f) => f.endsWith('.json'));

  it('requires a login: no anonymous access, no sign-up, an admin password from .env', () => {
    expect(env.GF_AUTH_ANONYMOUS_ENABLED).toBe('false');
    expect(env.GF_AUTH_ANONYMOUS_ORG_ROLE).toBeUndefined();
    expect(env.GF_USERS_ALLOW_SIGN_UP).toBe('false');
    expect(rawEnv('grafana').GF_SECURITY_ADMIN_PASSWORD).toMatch(
      /^\$\{GRAFANA_ADMIN_PASSWORD:\?[^}]+\}$/,
    );
    expect(env.GF_SECURITY_ADMIN_PASSWORD).not.toBe('admin');
  });

  it('keeps its state in a named volume', () => {
    expect(grafana.volumes).toContain('grafana-data:/var/lib/grafana');
  });

  it('provisions the compose Prometheus as a datasource', () => {
    expect(datasources.datasources).toContainEqual(
      expect.objectContaining({ type: 'prometheus', url: 'http://prometheus:9090' }),
    );
  });

  it('loads every dashboard from where compose mounts them, the overview as home', () => {
    const mounted = new Map(bindMounts(grafana));
    const target = mounted.get(`./${dashboardDir}`);
    expect(providers.providers).toContainEqual(
      expect.objectContaining({ type: 'file', options: expect.objectContaining({ path: target }) }),
    );
    expect(dashboardFiles).toContain('clickstream-overview.json');
    const home = env.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH;
    expect(dirname(home)).toBe(target);
    expect(dashboardFiles).toContain(posix.basename(home));
  });

  it.each(dashboardFiles)('%s: every panel queries the provisioned datasource', (file) => {
    const dashboard = JSON.parse(read(`${dashboardDir}/${file}`)) as {
      uid: string;
      title: string;
      templating?: { list?: { name: string; type: string; query?: unknown }[] };
      panels: {
        id: number;
        type?: string;
        title: string;
        datasource?: { uid?: string };
        targets?: { expr?: string }[];
      }[];
    };
    const uids = datasources.datasources.map((d) => d.uid);
    const variables = (dashboard.templating?.list ?? [])
      .filter((v) => v.type === 'datasource' && v.query === 'prometheus')
      .map((v) => `\${${v.name}}`);
    expect(dashboard.uid).toBeTruthy();
    const panels = dashboard.panels.filter((p) => p.type !== 'row');
    expect(panels.length).toBeGreaterThan(0);
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    for (const panel of panels) {
      const exprs = (panel.targets ?? []).map((t) => t.expr?.trim() ?? '').filter(Boolean);
      expect({ panel: panel.title, queries: exprs.length > 0 }).toEqual({
        panel: panel.title,
        queries: true,
      });
      expect([...uids, ...variables]).toContain(panel.datasource?.uid);
    }
  });
});
