// Validates Kubernetes objects against the kubernetes-models schemas. The models are ES modules
// only, and jest runs the specs as CommonJS, so deploy/k8s.spec.ts runs this file with node:
//   stdin:  a JSON array of objects;  stdout: a JSON array of { object, error } (error null if valid)
// An apiVersion/kind without a model is an error too: nothing is rendered unchecked.
const MODULES = {
  v1: 'kubernetes-models/v1',
  'apps/v1': 'kubernetes-models/apps/v1',
  'batch/v1': 'kubernetes-models/batch/v1',
  'policy/v1': 'kubernetes-models/policy/v1',
  'networking.k8s.io/v1': 'kubernetes-models/networking.k8s.io/v1',
  'autoscaling/v2': 'kubernetes-models/autoscaling/v2',
  'keda.sh/v1alpha1': '@kubernetes-models/keda/keda.sh/v1alpha1',
  'monitoring.coreos.com/v1': '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1',
};

async function modelOf(apiVersion, kind) {
  const path = MODULES[apiVersion];
  if (!path) return undefined;
  const model = (await import(path))[kind];
  // Only a model class of exactly this apiVersion and kind (not a nested type of the same name).
  if (typeof model !== 'function' || model.apiVersion !== apiVersion || model.kind !== kind)
    return undefined;
  return model;
}

async function check(object) {
  const name = `${object.apiVersion}/${object.kind} ${object.metadata?.name ?? '(unnamed)'}`;
  const Model = await modelOf(object.apiVersion, object.kind);
  if (!Model)
    return {
      object: name,
      error: `no model for apiVersion ${object.apiVersion}, kind ${object.kind}`,
    };
  try {
    new Model(object).validate();
    return { object: name, error: null };
  } catch (err) {
    return { object: name, error: err instanceof Error ? err.message : String(err) };
  }
}

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const objects = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const results = [];
for (const object of objects) results.push(await check(object));
process.stdout.write(JSON.stringify(results));
