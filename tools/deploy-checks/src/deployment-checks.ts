import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { checkCompose } from './checks/compose-checks';
import { checkNatsValues, checkOperatorResources } from './checks/operator-resources';
import { checkPlatform } from './checks/platform-checks';
import { readSourceFacts, type SourceFacts } from './checks/source-facts';
import { renderKustomization } from './kustomize';
import type { Resource } from './resource';
import { unknownFieldProblems } from './validate/known-fields';
import { validateAgainstModels } from './validate/model-schemas';

export interface OverlayReport {
  overlay: string;
  resources: Resource[];
  problems: string[];
}

/** The overlays under k8s/overlays, by name. */
export function overlayNames(root: string): string[] {
  const dir = path.join(root, 'k8s/overlays');
  return readdirSync(dir).filter((name) => existsSync(path.join(dir, name, 'kustomization.yaml'))).sort();
}

/**
 * Renders one overlay and runs every check on it: the JSON schemas of kubernetes-models and KEDA, unknown
 * fields through the models' TypeScript types, structural checks of the operators' resources (and of
 * the NATS chart's values when the overlay has them), and the platform checks against the code.
 * `facts` may be read once for several checks: each reading parses every source file (about 2 s of CPU).
 */
export function checkOverlay(root: string, overlay: string, facts: SourceFacts = readSourceFacts(root)): OverlayReport {
  const dir = path.join(root, 'k8s/overlays', overlay);
  const resources = renderKustomization(dir);
  const schemas = validateAgainstModels(resources);
  const problems = [...schemas.problems, ...unknownFieldProblems(resources, root), ...checkOperatorResources(schemas.unmodelled, resources)];
  const namespace = resources.find((r) => r.kind === 'Deployment')?.metadata.namespace;
  problems.push(...checkPlatform(resources, facts, namespace));
  const natsValues = path.join(dir, 'nats-values.yaml');
  if (existsSync(natsValues)) problems.push(...checkNatsValues(natsValues, resources));
  return { overlay, resources, problems };
}

/** docker-compose.yml at the root, against the code. */
export function checkComposeFile(root: string, facts: SourceFacts = readSourceFacts(root)): string[] {
  return checkCompose(path.join(root, 'docker-compose.yml'), facts, root);
}
