/** Queries over rendered objects: pod specs, containers, label selectors and the env a container gets. */
import { K8sObject } from './kustomize';

export interface Probe {
  httpGet?: { path?: string; port?: number | string };
  tcpSocket?: { port?: number | string };
  exec?: { command?: string[] };
}

export interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  capabilities?: { drop?: string[] };
  seccompProfile?: { type?: string };
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    configMapKeyRef?: { name: string; key: string };
    secretKeyRef?: { name: string; key: string; optional?: boolean };
    fieldRef?: { fieldPath: string; apiVersion?: string };
  };
}

export interface Container {
  name: string;
  image?: string;
  command?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  securityContext?: SecurityContext;
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  securityContext?: SecurityContext;
  terminationGracePeriodSeconds?: number;
  enableServiceLinks?: boolean;
  topologySpreadConstraints?: { topologyKey: string; labelSelector?: LabelSelector }[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export interface Workload {
  object: K8sObject;
  id: string;
  pod: PodSpec;
  podLabels: Record<string, string>;
}

const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job'];

export const idOf = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;

export function workloads(objects: K8sObject[]): Workload[] {
  return objects
    .filter((o) => WORKLOAD_KINDS.includes(o.kind))
    .map((object) => {
      const template = object.spec?.template as {
        metadata?: { labels?: Record<string, string> };
        spec: PodSpec;
      };
      return {
        object,
        id: idOf(object),
        pod: template.spec,
        podLabels: template.metadata?.labels ?? {},
      };
    });
}

export function find(objects: K8sObject[], kind: string, name: string): K8sObject | undefined {
  return objects.find((o) => o.kind === kind && o.metadata.name === name);
}

/** An object a kustomize generator made: its name is the given one plus a content hash. */
export function findGenerated(
  objects: K8sObject[],
  kind: string,
  name: string,
): K8sObject | undefined {
  return (
    find(objects, kind, name) ??
    objects.find(
      (o) => o.kind === kind && new RegExp(`^${name}-[a-z0-9]{10}$`).test(o.metadata.name),
    )
  );
}

export function selects(
  selector: LabelSelector | undefined,
  labels: Record<string, string>,
): boolean {
  if (!selector) return false;
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpression = (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    switch (operator) {
      case 'In':
        return key in labels && values.includes(labels[key]);
      case 'NotIn':
        return !(key in labels) || !values.includes(labels[key]);
      case 'Exists':
        return key in labels;
      case 'DoesNotExist':
        return !(key in labels);
      default:
        throw new Error(`unknown selector operator ${operator}`);
    }
  });
  return byLabel && byExpression;
}

/** Problems with one container's limits, user and privileges, as readable strings (empty: none). */
export function containerProblems(
  w: Workload,
  c: Container,
  opts: { probes: boolean; writableRoot: boolean; init?: boolean },
): string[] {
  const at = `${w.id} container ${c.name}`;
  const pod = w.pod.securityContext ?? {};
  const own = c.securityContext ?? {};
  const problems: string[] = [];
  const need = (ok: boolean, what: string) => {
    if (!ok) problems.push(`${at}: ${what}`);
  };
  if (opts.probes) {
    need(c.livenessProbe !== undefined, 'no livenessProbe');
    need(c.readinessProbe !== undefined, 'no readinessProbe');
  }
  if (opts.init)
    need(
      !c.livenessProbe && !c.readinessProbe,
      'probes on an init container (the API server rejects them)',
    );
  for (const r of ['cpu', 'memory']) {
    need(Boolean(c.resources?.limits?.[r]), `no ${r} limit`);
    need(Boolean(c.resources?.requests?.[r]), `no ${r} request`);
  }
  const runAsUser = own.runAsUser ?? pod.runAsUser;
  need((own.runAsNonRoot ?? pod.runAsNonRoot) === true, 'runAsNonRoot is not true');
  need(
    Number.isInteger(runAsUser) && (runAsUser as number) > 0,
    `runAsUser ${runAsUser} is not a numeric non-root uid`,
  );
  need(own.allowPrivilegeEscalation === false, 'allowPrivilegeEscalation is not false');
  need((own.capabilities?.drop ?? []).includes('ALL'), 'capabilities do not drop ALL');
  need(
    (own.seccompProfile ?? pod.seccompProfile)?.type === 'RuntimeDefault',
    'seccomp profile is not RuntimeDefault',
  );
  if (!opts.writableRoot)
    need(own.readOnlyRootFilesystem === true, 'root filesystem is not read-only');
  return problems;
}

export type EnvSource = 'value' | 'configMap' | 'secret' | 'podName';

/** What a `fieldRef: metadata.name` resolves to in these checks: a pod name as a Deployment makes it. */
export const samplePodName = (container: string) => `${container}-5d8f7c9b4-x2kqz`;

export interface ResolvedEnv {
  env: Record<string, string>;
  source: Record<string, EnvSource>;
  secretRefs: { name: string; key: string }[];
  problems: string[];
}

/**
 * The environment a container starts with. Secret values come from a rendered Secret when there is
 * one (local), else from `secretSamples` (the Secret is created outside the repo).
 */
export function resolveEnv(
  c: Container,
  objects: K8sObject[],
  secretSamples: Record<string, string>,
): ResolvedEnv {
  const out: ResolvedEnv = { env: {}, source: {}, secretRefs: [], problems: [] };
  const set = (name: string, value: string, source: EnvSource) => {
    out.env[name] = value;
    out.source[name] = source;
  };
  const configMap = (name: string) => {
    const found = find(objects, 'ConfigMap', name);
    if (!found) out.problems.push(`${c.name}: ConfigMap ${name} is not rendered`);
    return found?.data ?? {};
  };
  const secretValue = (name: string, key: string) => {
    out.secretRefs.push({ name, key });
    const secret = find(objects, 'Secret', name);
    if (!secret) return secretSamples[key];
    const data = secret.data?.[key];
    if (data === undefined) out.problems.push(`${c.name}: Secret ${name} has no key ${key}`);
    return data === undefined ? undefined : Buffer.from(data, 'base64').toString('utf8');
  };
  for (const from of c.envFrom ?? []) {
    if (from.secretRef)
      out.problems.push(
        `${c.name}: envFrom a whole Secret (${from.secretRef.name}); reference keys`,
      );
    if (from.configMapRef)
      for (const [k, v] of Object.entries(configMap(from.configMapRef.name)))
        set(k, v, 'configMap');
  }
  for (const v of c.env ?? []) {
    const cm = v.valueFrom?.configMapKeyRef;
    const secret = v.valueFrom?.secretKeyRef;
    if (cm) {
      const value = configMap(cm.name)[cm.key];
      if (value === undefined)
        out.problems.push(`${c.name}: ConfigMap ${cm.name} has no key ${cm.key}`);
      else set(v.name, value, 'configMap');
    } else if (secret) {
      const value = secretValue(secret.name, secret.key);
      // An optional key may be absent: the variable is then unset, as kubelet leaves it.
      if (value !== undefined) set(v.name, value, 'secret');
      else if (!secret.optional)
        out.problems.push(`${c.name}: no value for Secret ${secret.name} key ${secret.key}`);
    } else if (v.value !== undefined) {
      set(v.name, v.value, 'value');
    } else if (v.valueFrom?.fieldRef?.fieldPath === 'metadata.name') {
      set(v.name, samplePodName(c.name), 'podName');
    } else {
      out.problems.push(
        `${c.name}: ${v.name} has neither a value nor a ConfigMap, Secret or pod name reference`,
      );
    }
  }
  return out;
}
