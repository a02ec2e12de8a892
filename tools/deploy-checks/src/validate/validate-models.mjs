// Validates Kubernetes objects against the JSON schemas of `kubernetes-models` and `@kubernetes-models/keda`.
// Both packages are ESM-only, so this runs as its own Node process (jest runs CommonJS): it reads a JSON
// array of objects on stdin and writes one result per object on stdout: {index, model, errors}.
// `model: false` means no model covers that apiVersion and kind (the caller checks those itself).

const MODULES = {
  'keda.sh': (version) => `@kubernetes-models/keda/keda.sh/${version}`,
};

function modulePath(apiVersion) {
  const slash = apiVersion.indexOf('/');
  if (slash === -1) return `kubernetes-models/${apiVersion}`;
  const group = apiVersion.slice(0, slash);
  const version = apiVersion.slice(slash + 1);
  if (MODULES[group]) return MODULES[group](version);
  // Built-in groups have no dot (apps, batch, policy, autoscaling) or end in .k8s.io.
  if (!group.includes('.') || group.endsWith('.k8s.io')) return `kubernetes-models/${group}/${version}`;
  return undefined;
}

async function validate(object, index) {
  const path = modulePath(object.apiVersion);
  if (!path) return { index, model: false, errors: [] };
  let module;
  try {
    module = await import(path);
  } catch {
    return { index, model: false, errors: [] };
  }
  const Model = module[object.kind];
  if (typeof Model !== 'function') return { index, model: false, errors: [] };
  try {
    new Model(object).validate();
    return { index, model: true, errors: [] };
  } catch (error) {
    const details = Array.isArray(error.errors) ? error.errors.map((e) => `${e.instancePath || '/'} ${e.message}`) : [String(error.message)];
    return { index, model: true, errors: details };
  }
}

let input = '';
for await (const chunk of process.stdin) input += chunk;
const objects = JSON.parse(input);
const results = [];
for (const [index, object] of objects.entries()) results.push(await validate(object, index));
process.stdout.write(JSON.stringify(results));
