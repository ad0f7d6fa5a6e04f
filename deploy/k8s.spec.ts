/**
 * Static checks of deploy/k8s: each kustomization is rendered with the real `kubectl kustomize`,
 * every object is validated against the kubernetes-models schemas, and the rendered manifests are
 * checked against the code, as deploy/compose.spec.ts checks compose: ports, commands and config
 * come from each service's `service.ts`, consumer groups and input topics from its topology.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TOPICS, topicNames } from '@clickstream/contracts';
import {
  ConfigDefinition,
  databaseConfig,
  kafkaConfig,
  parseEnv,
  serviceConfigs,
} from '@clickstream/platform';
import { Topology } from '@clickstream/streams';
import * as aggregator from '../services/aggregator/src/service';
import {
  AGGREGATOR_APP_ID,
  aggregatorTopology,
} from '../services/aggregator/src/windows/aggregator.topology';
import {
  FRAUD_DETECTOR_APP_ID,
  fraudTopology,
} from '../services/fraud-detector/src/fraud/fraud-detector.topology';
import { DEFAULT_FRAUD_CONFIG } from '../services/fraud-detector/src/fraud/rules/rule-config';
import * as fraudDetector from '../services/fraud-detector/src/service';
import * as ingest from '../services/ingest/src/service';
import * as metrics from '../services/metrics/src/service';
import * as sessionizer from '../services/sessionizer/src/service';
import {
  SESSIONIZER_APP_ID,
  sessionizerTopology,
} from '../services/sessionizer/src/sessions/sessionizer.topology';
import { K8sObject, render, ROOT, validateModels } from './k8s/test/kustomize';
import {
  connectionAllowed,
  egressAllowed,
  ingressAllowed,
  Peer,
} from './k8s/test/network-policies';
import {
  Container,
  containerProblems,
  find,
  idOf,
  resolveEnv,
  selects,
  Workload,
  workloads,
} from './k8s/test/workloads';

const OVERLAYS: Record<string, string> = {
  base: 'base',
  local: 'overlays/local',
  production: 'overlays/production',
};
const NAMESPACE = 'clickstream';
const IMAGE = /^(.+\/)?clickstream:[\w.-]+$/;

const APP_MODULES = [ingest, sessionizer, aggregator, fraudDetector, metrics];
const APPS = APP_MODULES.map((m) => ({
  ...m.SERVICE,
  database: (m.SERVICE as { database?: boolean }).database !== false,
  configs: serviceConfigs(m.SERVICE),
}));
type App = (typeof APPS)[number];

/** Each processor's topology as its module builds it: the consumer group is the application id. */
const PROCESSORS: Record<string, (prefix: string) => Topology> = {
  sessionizer: (p) =>
    sessionizerTopology({
      topics: topicNames(p),
      gapMs: 1_800_000,
      maxDurationMs: 86_400_000,
      applicationId: `${p}${SESSIONIZER_APP_ID}`,
    }),
  aggregator: (p) =>
    aggregatorTopology({
      topics: topicNames(p),
      windowSizesMs: [60_000],
      applicationId: `${p}${AGGREGATOR_APP_ID}`,
    }),
  'fraud-detector': (p) =>
    fraudTopology({
      topics: topicNames(p),
      cfg: DEFAULT_FRAUD_CONFIG,
      applicationId: `${p}${FRAUD_DETECTOR_APP_ID}`,
    }),
};

/** Keys of the Secret "clickstream-secrets", created outside the repo; samples stand in for values. */
const SECRET_SAMPLES: Record<string, string> = {
  DATABASE_URL: 'postgres://clickstream:sample@db.example.internal:5432/clickstream',
  INGEST_API_KEYS: 'sample-ingest-key',
  METRICS_API_KEYS: 'sample-metrics-key',
  METRICS_ADMIN_API_KEYS: 'ops:sample-admin-key-0123456789',
};
/** Read by Node itself, not by a service's config. */
const NODE_RUNTIME_VARIABLES = ['NODE_OPTIONS'];
const SECRET_NAME = /PASSWORD|SECRET|TOKEN|API_KEYS?$|CREDENTIAL|DATABASE_URL/;
/** The one writable root filesystem: the apache/kafka start script renders its config under /opt/kafka. */
const WRITABLE_ROOT = ['local StatefulSet/kafka kafka'];

const processorOf = (name: string) => PROCESSORS[name];
const data = (o: K8sObject | undefined) => o?.data ?? {};

function deployment(objects: K8sObject[], name: string): Workload {
  const found = workloads(objects).find((w) => w.id === `Deployment/${name}`);
  if (!found) throw new Error(`no Deployment ${name}`);
  return found;
}

const mainContainer = (w: Workload, name: string): Container => {
  const found = w.pod.containers.find((c) => c.name === name);
  if (!found) throw new Error(`${w.id} has no container ${name}`);
  return found;
};

/** The ConfigMap every service reads (generated, so its name carries a hash). */
function sharedConfig(objects: K8sObject[]): Record<string, string> {
  const ref =
    mainContainer(deployment(objects, 'ingest'), 'ingest').envFrom?.[0]?.configMapRef?.name ?? '';
  return data(find(objects, 'ConfigMap', ref));
}

const podPeer = (w: Workload) => ({ namespace: NAMESPACE, labels: w.podLabels });
const infraPeer = (objects: K8sObject[], name: string): Peer => {
  const w = workloads(objects).find((x) => x.id === `StatefulSet/${name}`);
  return w ? podPeer(w) : { external: true };
};

describe.each(Object.entries(OVERLAYS))('deploy/k8s %s', (overlay, dir) => {
  const objects = () => render(dir);

  it('renders with kubectl kustomize into one namespace', () => {
    expect(objects().length).toBeGreaterThan(10);
    for (const o of objects().filter((x) => x.kind !== 'Namespace'))
      expect({ id: idOf(o), ns: o.metadata.namespace }).toEqual({ id: idOf(o), ns: NAMESPACE });
  });

  it('validates every object against its kubernetes-models schema, with a model for every kind', () => {
    const results = validateModels(objects());
    expect(results).toHaveLength(objects().length);
    expect(results.filter((r) => r.error !== null)).toEqual([]);
  });

  it('labels every object part-of clickstream, and every workload and pod with its name', () => {
    const missing = objects()
      .filter((o) => o.metadata.labels?.['app.kubernetes.io/part-of'] !== 'clickstream')
      .map(idOf);
    expect(missing).toEqual([]);
    for (const w of workloads(objects())) {
      expect({
        id: w.id,
        name: w.podLabels['app.kubernetes.io/name'],
        partOf: w.podLabels['app.kubernetes.io/part-of'],
      }).toEqual({
        id: w.id,
        name: w.object.metadata.labels?.['app.kubernetes.io/name'],
        partOf: 'clickstream',
      });
    }
  });

  it('gives every container probes (Jobs and init containers excepted), requests and limits, a non-root user and no privileges', () => {
    const problems = workloads(objects()).flatMap((w) => [
      ...w.pod.containers.flatMap((c) =>
        containerProblems(w, c, {
          probes: w.object.kind !== 'Job',
          writableRoot: WRITABLE_ROOT.includes(`${overlay} ${w.id} ${c.name}`),
        }),
      ),
      // Kubernetes rejects probes on init containers: they run to completion before the pod is up.
      ...(w.pod.initContainers ?? []).flatMap((c) =>
        containerProblems(w, c, { probes: false, writableRoot: false, init: true }),
      ),
    ]);
    expect(problems).toEqual([]);
    expect(workloads(objects()).length).toBeGreaterThanOrEqual(APPS.length);
  });

  it('resolves every ConfigMap and Secret reference; only "clickstream-secrets" and local Secrets are referenced', () => {
    const secrets = objects().filter((o) => o.kind === 'Secret');
    for (const w of workloads(objects())) {
      for (const c of [...w.pod.containers, ...(w.pod.initContainers ?? [])]) {
        const resolved = resolveEnv(c, objects(), SECRET_SAMPLES);
        expect({ at: `${w.id} ${c.name}`, problems: resolved.problems }).toEqual({
          at: `${w.id} ${c.name}`,
          problems: [],
        });
        for (const ref of resolved.secretRefs) {
          if (secrets.length === 0) expect(Object.keys(SECRET_SAMPLES)).toContain(ref.key);
          else
            expect(
              secrets.map(
                (s) =>
                  `${s.metadata.name}/${Object.keys(s.data ?? {}).find((k) => k === ref.key) ?? '?'}`,
              ),
            ).toContain(`${ref.name}/${ref.key}`);
          if (secrets.length === 0) expect(ref.name).toBe('clickstream-secrets');
        }
      }
    }
  });

  it('denies all traffic by default and allows only the designed flows', () => {
    const all = objects();
    const denyAll = all.filter(
      (o) =>
        o.kind === 'NetworkPolicy' &&
        JSON.stringify(o.spec) ===
          JSON.stringify({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
    );
    expect(denyAll).toHaveLength(1);
    const monitoring: Peer = {
      namespace: 'monitoring',
      labels: { 'app.kubernetes.io/name': 'prometheus' },
    };
    const client: Peer = {
      namespace: 'dashboards',
      labels: { 'clickstream.io/metrics-client': 'true' },
    };
    const stranger: Peer = { namespace: 'dashboards', labels: { app: 'other' } };
    for (const app of APPS) {
      const w = deployment(all, app.name);
      const port = { number: app.defaultPort, name: 'http' };
      expect({ app: app.name, scrape: ingressAllowed(all, podPeer(w), port, monitoring) }).toEqual({
        app: app.name,
        scrape: true,
      });
      expect({
        app: app.name,
        external: ingressAllowed(all, podPeer(w), port, { external: true }),
      }).toEqual({ app: app.name, external: app.name === 'ingest' });
      expect({ app: app.name, client: ingressAllowed(all, podPeer(w), port, client) }).toEqual({
        app: app.name,
        client: ['ingest', 'metrics'].includes(app.name),
      });
      expect({ app: app.name, stranger: ingressAllowed(all, podPeer(w), port, stranger) }).toEqual({
        app: app.name,
        stranger: app.name === 'ingest',
      });
      const kafka = infraPeer(all, 'kafka');
      const postgres = infraPeer(all, 'postgres');
      const reach = (peer: Peer, number: number) =>
        'external' in peer
          ? egressAllowed(all, podPeer(w), { number }, peer)
          : connectionAllowed(all, podPeer(w), peer, { number });
      expect({
        app: app.name,
        kafka: reach(kafka, 9092),
        postgres: reach(postgres, 5432),
        https: egressAllowed(all, podPeer(w), { number: 443 }, { external: true }),
      }).toEqual({ app: app.name, kafka: true, postgres: app.database, https: false });
    }
  });

  describe.each(APPS.map((app) => [app.name, app] as [string, App]))('service %s', (name, app) => {
    const w = () => deployment(objects(), name);
    const c = () => mainContainer(w(), name);

    it('runs its compiled entry point from the clickstream image on its SPEC port, behind a Service and a PDB', () => {
      expect(c().command).toEqual(['node', `dist/services/${name}/src/main.js`]);
      expect(c().image).toMatch(IMAGE);
      expect(c().ports).toEqual([
        { name: 'http', containerPort: app.defaultPort, protocol: 'TCP' },
      ]);
      const service = find(objects(), 'Service', name);
      expect(
        selects({ matchLabels: service?.spec?.selector as Record<string, string> }, w().podLabels),
      ).toBe(true);
      expect(service?.spec?.ports).toEqual([
        { name: 'http', port: app.defaultPort, targetPort: 'http', protocol: 'TCP' },
      ]);
      const pdb = objects().find(
        (o) =>
          o.kind === 'PodDisruptionBudget' && selects(o.spec?.selector as never, w().podLabels),
      );
      expect(pdb?.spec?.maxUnavailable ?? pdb?.spec?.minAvailable).toBeDefined();
    });

    it('starts node with the flags its service.ts declares, as NODE_OPTIONS', () => {
      const env = resolveEnv(c(), objects(), SECRET_SAMPLES).env;
      expect(env.NODE_OPTIONS).toBe(
        app.nodeOptions.length > 0 ? app.nodeOptions.join(' ') : undefined,
      );
    });

    it('probes /health/live and /health/ready on its HTTP_PORT', () => {
      const env = resolveEnv(c(), objects(), SECRET_SAMPLES).env;
      expect(c().livenessProbe?.httpGet).toEqual({ path: '/health/live', port: 'http' });
      expect(c().readinessProbe?.httpGet).toEqual({ path: '/health/ready', port: 'http' });
      expect(env.HTTP_PORT).toBe(String(app.defaultPort));
    });

    it('gets every variable it needs from the ConfigMap or a Secret reference, and passes its config schema', () => {
      const { env, source, problems } = resolveEnv(c(), objects(), SECRET_SAMPLES);
      expect(problems).toEqual([]);
      expect(() => validateEnv(app.configs, env)).not.toThrow();
      const declared = new Set(app.configs.flatMap((config) => Object.keys(config.envShape)));
      expect(
        Object.keys(env).filter((k) => !declared.has(k) && !NODE_RUNTIME_VARIABLES.includes(k)),
      ).toEqual([]);
      // The defaults of these point at a developer's machine: in a cluster they must be set.
      expect(source.KAFKA_BROKERS).toBe('configMap');
      if (app.database) expect(source.DATABASE_URL).toBe('secret');
      if (name === 'ingest') expect(source.INGEST_API_KEYS).toBe('secret');
      if (name === 'metrics') expect(source.METRICS_API_KEYS).toBe('secret');
      const exposed = Object.keys(env).filter((k) => SECRET_NAME.test(k) && source[k] !== 'secret');
      expect(exposed).toEqual([]);
    });

    it(
      app.database
        ? 'migrates the database in an init container of the same image first'
        : 'has no migrate step (no database)',
      () => {
        const init = w().pod.initContainers ?? [];
        expect(init.map((i) => i.name)).toEqual(app.database ? ['migrate'] : []);
        if (!app.database) return;
        expect(init[0].image).toBe(c().image);
        expect(init[0].command).toEqual(['node', 'dist/libs/platform/src/database/migrate.js']);
        const { env, source } = resolveEnv(init[0], objects(), SECRET_SAMPLES);
        expect(source).toEqual({ DATABASE_URL: 'secret' });
        expect(() => parseEnv(databaseConfig.envShape, env)).not.toThrow();
      },
    );

    it(
      processorOf(name)
        ? 'joins its consumer group as a static member named after its pod'
        : 'has no consumer group to join as a static member',
      () => {
        const { env, source } = resolveEnv(c(), objects(), SECRET_SAMPLES);
        // Unique per pod and kept across the container's restarts in it: a crash gets its partitions back at once.
        if (processorOf(name)) expect(source.STREAMS_GROUP_INSTANCE_ID).toBe('podName');
        else expect(env.STREAMS_GROUP_INSTANCE_ID).toBeUndefined();
      },
    );

    it('gives a final commit time to finish before the pod is killed', () => {
      const env = resolveEnv(c(), objects(), SECRET_SAMPLES).env;
      const graceMs = (w().pod.terminationGracePeriodSeconds ?? 30) * 1000;
      expect(graceMs).toBeGreaterThanOrEqual(30_000);
      const { DATABASE_STATEMENT_TIMEOUT_MS } = parseEnv(databaseConfig.envShape, env);
      // A processor's last commit is one statement-bounded transaction, plus leaving the group.
      if (processorOf(name))
        expect(graceMs).toBeGreaterThanOrEqual(DATABASE_STATEMENT_TIMEOUT_MS + 30_000);
    });
  });
});

function validateEnv(configs: ConfigDefinition[], env: Record<string, string>): void {
  for (const config of configs) parseEnv(config.envShape, env);
}

describe('deploy/k8s partitions and secrets, kept in one place', () => {
  it("sets the code's default partition count (SPEC §10) in the base ConfigMap", () => {
    const config = sharedConfig(render('base'));
    expect(Number(config.KAFKA_TOPIC_PARTITIONS)).toBe(
      parseEnv(kafkaConfig.envShape, {}).KAFKA_TOPIC_PARTITIONS,
    );
  });

  it('documents every key of the Secret in base/kustomization.yaml', () => {
    const text = readFileSync(join(ROOT, 'deploy/k8s/base/kustomization.yaml'), 'utf8');
    for (const key of Object.keys(SECRET_SAMPLES))
      expect(text).toMatch(new RegExp(`^#\\s+${key}\\s`, 'm'));
  });
});

describe('deploy/k8s overlays/local', () => {
  const objects = () => render(OVERLAYS.local);
  const statefulSet = (name: string) =>
    workloads(objects()).find((w) => w.id === `StatefulSet/${name}`);

  it('runs a single-node KRaft Kafka from apache/kafka:4.1.2 that the services bootstrap from', () => {
    const kafka = statefulSet('kafka');
    expect(kafka?.object.spec?.replicas).toBe(1);
    const container = kafka!.pod.containers[0];
    expect(container.image).toBe('apache/kafka:4.1.2');
    const env = resolveEnv(container, objects(), {}).env;
    expect(env.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(Buffer.from(env.CLUSTER_ID, 'base64url')).toHaveLength(16);
    const service = find(objects(), 'Service', 'kafka');
    expect(
      selects({ matchLabels: service?.spec?.selector as Record<string, string> }, kafka!.podLabels),
    ).toBe(true);
    expect(sharedConfig(objects()).KAFKA_BROKERS).toBe('kafka:9092');
    expect(env.KAFKA_ADVERTISED_LISTENERS).toBe('PLAINTEXT://kafka:9092');
    // The image turns every KAFKA_* variable into a broker setting: no Service-link KAFKA_PORT=tcp://...
    expect(kafka!.pod.enableServiceLinks).toBe(false);
  });

  it('creates every SPEC §10 topic in a Job, with the partition count and brokers of the ConfigMap', () => {
    const job = workloads(objects()).find((w) => w.id === 'Job/kafka-topics');
    const container = job!.pod.containers[0];
    const { env, source } = resolveEnv(container, objects(), {});
    expect(container.image).toBe('apache/kafka:4.1.2');
    expect([...env.TOPICS.split(/\s+/), env.TABLE_TOPICS]).toEqual(Object.values(TOPICS));
    expect(container.command?.join(' ')).toContain('--config cleanup.policy=compact');
    expect(source.TOPIC_PARTITIONS).toBe('configMap');
    expect(env.TOPIC_PARTITIONS).toBe(sharedConfig(objects()).KAFKA_TOPIC_PARTITIONS);
    expect(env.BOOTSTRAP_SERVER).toBe(sharedConfig(objects()).KAFKA_BROKERS);
    expect(container.command?.join(' ')).toContain('--create --if-not-exists');
  });

  it('runs Postgres 16 pinned to a patch version, reached by DATABASE_URL with its own password', () => {
    const pg = statefulSet('postgres')!;
    const container = pg.pod.containers[0];
    expect(container.image).toMatch(/^postgres:16\.\d+(-[a-z0-9]+)?$/);
    const pgEnv = resolveEnv(container, objects(), {}).env;
    const url = new URL(
      resolveEnv(mainContainer(deployment(objects(), 'metrics'), 'metrics'), objects(), {}).env
        .DATABASE_URL,
    );
    expect([
      url.hostname,
      url.port,
      decodeURIComponent(url.username),
      decodeURIComponent(url.password),
      url.pathname,
    ]).toEqual([
      'postgres',
      '5432',
      pgEnv.POSTGRES_USER,
      pgEnv.POSTGRES_PASSWORD,
      `/${pgEnv.POSTGRES_DB}`,
    ]);
    expect(find(objects(), 'Service', 'postgres')).toBeDefined();
  });

  it('generates local-only Secrets whose values say so', () => {
    const secrets = objects().filter((o) => o.kind === 'Secret');
    expect(secrets.map((s) => s.metadata.name).sort()).toEqual([
      'clickstream-secrets',
      'postgres-credentials',
    ]);
    expect(Object.keys(data(find(objects(), 'Secret', 'clickstream-secrets'))).sort()).toEqual(
      Object.keys(SECRET_SAMPLES).sort(),
    );
    for (const s of secrets)
      for (const [key, value] of Object.entries(s.data ?? {}))
        expect({ key, value: Buffer.from(value, 'base64').toString() }).toEqual({
          key,
          value: expect.stringMatching(/local/),
        });
  });
});

describe('deploy/k8s overlays/production', () => {
  const objects = () => render(OVERLAYS.production);
  const ofKind = (kind: string) => objects().filter((o) => o.kind === kind);

  it('runs no Kafka or Postgres of its own, and commits no Secret', () => {
    const images = workloads(objects()).flatMap((w) => w.pod.containers.map((c) => c.image ?? ''));
    expect(images.filter((i) => /kafka|postgres|strimzi|bitnami/.test(i))).toEqual([]);
    expect(ofKind('StatefulSet')).toEqual([]);
    expect(ofKind('Secret')).toEqual([]);
    expect(
      workloads(objects())
        .map((w) => w.id)
        .sort(),
    ).toEqual(APPS.map((a) => `Deployment/${a.name}`).sort());
  });

  it.each(Object.keys(PROCESSORS))(
    'scales %s with KEDA on its consumer lag, at most one replica per partition',
    (name) => {
      const config = sharedConfig(objects());
      const topology = processorOf(name)(config.KAFKA_TOPIC_PREFIX ?? '');
      const scaled = ofKind('ScaledObject').find((o) => o.metadata.name === name)?.spec as {
        scaleTargetRef: { name: string; kind?: string };
        minReplicaCount: number;
        maxReplicaCount: number;
        triggers: { type: string; metadata: Record<string, string> }[];
      };
      expect(scaled.scaleTargetRef.name).toBe(name);
      expect(scaled.scaleTargetRef.kind ?? 'Deployment').toBe('Deployment');
      expect(scaled.maxReplicaCount).toBeLessThanOrEqual(Number(config.KAFKA_TOPIC_PARTITIONS));
      expect(scaled.minReplicaCount).toBeGreaterThanOrEqual(1);
      expect(scaled.minReplicaCount).toBeLessThanOrEqual(scaled.maxReplicaCount);
      expect(scaled.triggers.map((t) => t.type)).toEqual(scaled.triggers.map(() => 'kafka'));
      expect(scaled.triggers.map((t) => t.metadata.topic).sort()).toEqual(
        [...topology.sources.keys()].sort(),
      );
      for (const t of scaled.triggers) {
        expect(t.metadata.consumerGroup).toBe(topology.applicationId);
        expect(t.metadata.bootstrapServers).toBe(config.KAFKA_BROKERS);
        expect(t.metadata.lagThreshold).toMatch(/^[1-9]\d*$/);
      }
    },
  );

  it('scales ingest and metrics on CPU, and leaves every replica count to its autoscaler', () => {
    const hpas = ofKind('HorizontalPodAutoscaler').map(
      (o) =>
        o.spec as {
          scaleTargetRef: { kind: string; name: string };
          minReplicas: number;
          metrics: { resource?: { name: string } }[];
        },
    );
    expect(hpas.map((h) => `${h.scaleTargetRef.kind}/${h.scaleTargetRef.name}`).sort()).toEqual([
      'Deployment/ingest',
      'Deployment/metrics',
    ]);
    for (const h of hpas) {
      expect(h.minReplicas).toBeGreaterThanOrEqual(2);
      expect(h.metrics.map((m) => m.resource?.name)).toContain('cpu');
    }
    for (const w of workloads(objects()))
      expect({ id: w.id, replicas: w.object.spec?.replicas }).toEqual({
        id: w.id,
        replicas: undefined,
      });
  });

  it('spreads the pods of every service across nodes', () => {
    for (const app of APPS) {
      const w = deployment(objects(), app.name);
      const byNode = (w.pod.topologySpreadConstraints ?? []).find(
        (t) => t.topologyKey === 'kubernetes.io/hostname',
      );
      expect({ app: app.name, spreads: selects(byNode?.labelSelector, w.podLabels) }).toEqual({
        app: app.name,
        spreads: true,
      });
    }
  });

  it("scrapes /metrics of all five services' pods, with the service name as job", () => {
    const monitors = ofKind('PodMonitor').map(
      (o) =>
        o.spec as {
          jobLabel?: string;
          selector: never;
          podMetricsEndpoints: { port: string; path?: string }[];
        },
    );
    for (const app of APPS) {
      const w = deployment(objects(), app.name);
      const monitor = monitors.find((m) => selects(m.selector, w.podLabels));
      expect({ app: app.name, monitored: monitor !== undefined }).toEqual({
        app: app.name,
        monitored: true,
      });
      expect(monitor!.jobLabel).toBe('app.kubernetes.io/name');
      const ports = mainContainer(w, app.name).ports?.map((p) => p.name);
      expect(monitor!.podMetricsEndpoints).toContainEqual(
        expect.objectContaining({ port: ports?.[0], path: '/metrics' }),
      );
    }
  });

  it('loads the alert rules as the PrometheusRule "clickstream" from prometheus-rule.yaml', () => {
    const kustomization = readFileSync(
      join(ROOT, 'deploy/k8s/overlays/production/kustomization.yaml'),
      'utf8',
    );
    expect(kustomization).toMatch(/^\s+- prometheus-rule\.yaml$/m);
    const rules = ofKind('PrometheusRule');
    expect(rules.map((r) => r.metadata.name)).toEqual(['clickstream']);
    expect((rules[0].spec as { groups: unknown[] }).groups.length).toBeGreaterThan(0);
  });
});
