/**
 * A small NetworkPolicy evaluator (networking.k8s.io/v1 semantics, without CIDR arithmetic): is a
 * connection allowed once every policy that selects either end is applied?
 */
import { K8sObject } from './kustomize';
import { LabelSelector, selects } from './workloads';

/** One end of a connection: a pod in a namespace, or an address outside the cluster. */
export type Peer = { namespace: string; labels: Record<string, string> } | { external: true };

interface PolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
}

interface PolicyPort {
  protocol?: string;
  port?: number | string;
}

interface Rule {
  from?: PolicyPeer[];
  to?: PolicyPeer[];
  ports?: PolicyPort[];
}

interface PolicySpec {
  podSelector: LabelSelector;
  policyTypes?: ('Ingress' | 'Egress')[];
  ingress?: Rule[];
  egress?: Rule[];
}

/** The target port, by number and by the container port's name (a policy may name either). */
export interface Port {
  number: number;
  name?: string;
}

const isPod = (p: Peer): p is { namespace: string; labels: Record<string, string> } =>
  !('external' in p);
const namespaceLabels = (ns: string) => ({ 'kubernetes.io/metadata.name': ns });

function peerMatches(rulePeer: PolicyPeer, peer: Peer, policyNamespace: string): boolean {
  if (rulePeer.ipBlock) return !isPod(peer) && rulePeer.ipBlock.cidr === '0.0.0.0/0';
  if (!isPod(peer)) return false;
  const nsOk = rulePeer.namespaceSelector
    ? selects(rulePeer.namespaceSelector, namespaceLabels(peer.namespace))
    : peer.namespace === policyNamespace;
  const podOk = rulePeer.podSelector ? selects(rulePeer.podSelector, peer.labels) : true;
  return nsOk && podOk;
}

function portMatches(ports: PolicyPort[] | undefined, port: Port): boolean {
  if (!ports || ports.length === 0) return true;
  return ports.some(
    (p) =>
      (p.protocol ?? 'TCP') === 'TCP' &&
      (p.port === undefined || p.port === port.number || p.port === port.name),
  );
}

function ruleAllows(
  rule: Rule,
  peers: PolicyPeer[] | undefined,
  peer: Peer,
  port: Port,
  ns: string,
): boolean {
  const peerOk = !peers || peers.length === 0 || peers.some((p) => peerMatches(p, peer, ns));
  return peerOk && portMatches(rule.ports, port);
}

function policies(objects: K8sObject[]) {
  return objects
    .filter((o) => o.kind === 'NetworkPolicy')
    .map((o) => ({
      namespace: o.metadata.namespace ?? 'default',
      spec: o.spec as unknown as PolicySpec,
    }));
}

const hasType = (spec: PolicySpec, type: 'Ingress' | 'Egress') =>
  (spec.policyTypes ?? (type === 'Ingress' ? ['Ingress'] : spec.egress ? ['Egress'] : [])).includes(
    type,
  );

/** Is `source` allowed into `target` on `port`? Isolated pods need a rule that allows it. */
export function ingressAllowed(
  objects: K8sObject[],
  target: { namespace: string; labels: Record<string, string> },
  port: Port,
  source: Peer,
): boolean {
  const applying = policies(objects).filter(
    (p) =>
      p.namespace === target.namespace &&
      hasType(p.spec, 'Ingress') &&
      selects(p.spec.podSelector, target.labels),
  );
  if (applying.length === 0) return true;
  return applying.some((p) =>
    (p.spec.ingress ?? []).some((r) => ruleAllows(r, r.from, source, port, p.namespace)),
  );
}

/** May `source` connect out to `destination` on `port`? */
export function egressAllowed(
  objects: K8sObject[],
  source: { namespace: string; labels: Record<string, string> },
  port: Port,
  destination: Peer,
): boolean {
  const applying = policies(objects).filter(
    (p) =>
      p.namespace === source.namespace &&
      hasType(p.spec, 'Egress') &&
      selects(p.spec.podSelector, source.labels),
  );
  if (applying.length === 0) return true;
  return applying.some((p) =>
    (p.spec.egress ?? []).some((r) => ruleAllows(r, r.to, destination, port, p.namespace)),
  );
}

/** A pod-to-pod connection inside the cluster: the source's egress and the target's ingress. */
export function connectionAllowed(
  objects: K8sObject[],
  source: { namespace: string; labels: Record<string, string> },
  target: { namespace: string; labels: Record<string, string> },
  port: Port,
): boolean {
  return (
    egressAllowed(objects, source, port, target) && ingressAllowed(objects, target, port, source)
  );
}
