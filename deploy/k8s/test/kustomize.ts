/**
 * Renders a kustomization with the real `kubectl kustomize` and checks the objects against the
 * kubernetes-models schemas. Neither step is optional: without kubectl, the spec fails.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const ROOT = join(__dirname, '..', '..', '..');
export const K8S_DIR = 'deploy/k8s';

/** The subset of a Kubernetes object these checks read; everything else stays `unknown`. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

const rendered = new Map<string, K8sObject[]>();

/** `kubectl kustomize deploy/k8s/<dir>`, parsed; memoised, since every test of a dir reads it. */
export function render(dir: string): K8sObject[] {
  const cached = rendered.get(dir);
  if (cached) return cached;
  let output: string;
  try {
    output = execFileSync('kubectl', ['kustomize', join(K8S_DIR, dir)], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 32 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as Error & { stderr?: string; code?: string };
    const why =
      e.code === 'ENOENT'
        ? 'kubectl is not installed (it is required, not optional)'
        : (e.stderr ?? e.message);
    throw new Error(`kubectl kustomize ${K8S_DIR}/${dir} failed: ${why}`);
  }
  const objects = parseAllDocuments(output).map((doc) => {
    if (doc.errors.length > 0)
      throw new Error(`unparsable YAML from kustomize: ${doc.errors[0].message}`);
    return doc.toJS() as K8sObject;
  });
  rendered.set(dir, objects);
  return objects;
}

export interface ModelResult {
  object: string;
  error: string | null;
}

/** Validates each object with its kubernetes-models class (validate-models.mjs, in a node process). */
export function validateModels(objects: K8sObject[]): ModelResult[] {
  const output = execFileSync(process.execPath, [join(__dirname, 'validate-models.mjs')], {
    cwd: ROOT,
    input: JSON.stringify(objects.map(asDecoded)),
    encoding: 'utf8',
    maxBuffer: 32 * 1024 * 1024,
  });
  return JSON.parse(output) as ModelResult[];
}

/**
 * kustomize wraps a long base64 Secret value over several lines; the API server's base64 decoder
 * skips the line breaks, the schema's "byte" format does not. Validate the value the server reads.
 */
function asDecoded(o: K8sObject): K8sObject {
  if (o.kind !== 'Secret' || !o.data) return o;
  return {
    ...o,
    data: Object.fromEntries(Object.entries(o.data).map(([k, v]) => [k, v.replace(/\s+/g, '')])),
  };
}
