import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describeResource, type Resource } from '../resource';

export interface SchemaResult {
  /** Resources with no model in kubernetes-models or @kubernetes-models/keda: they need checks of their own. */
  unmodelled: Resource[];
  /** One line per schema violation, naming the resource and the field. */
  problems: string[];
}

/**
 * Validates every resource against the JSON schemas of kubernetes-models and @kubernetes-models/keda, in a
 * child Node process (both packages are ESM-only; see validate-models.mjs).
 */
export function validateAgainstModels(resources: readonly Resource[]): SchemaResult {
  const run = spawnSync(process.execPath, [path.join(__dirname, 'validate-models.mjs')], {
    input: JSON.stringify(resources),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.status !== 0) throw new Error(`validate-models.mjs failed (${run.status}): ${run.stderr}`);
  const results = JSON.parse(run.stdout) as Array<{ index: number; model: boolean; errors: string[] }>;
  return {
    unmodelled: results.filter((r) => !r.model).map((r) => resources[r.index]),
    problems: results.flatMap((r) => r.errors.map((error) => `${describeResource(resources[r.index])}: ${error}`)),
  };
}
