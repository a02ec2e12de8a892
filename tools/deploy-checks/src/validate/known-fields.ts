import { existsSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describeResource, type Resource } from '../resource';

/** Where the TypeScript declaration of a kind lives, if kubernetes-models (or its KEDA package) has one. */
export function modelTypeModule(apiVersion: string, kind: string): string | undefined {
  const slash = apiVersion.indexOf('/');
  const group = slash === -1 ? '' : apiVersion.slice(0, slash);
  if (group === 'keda.sh') return `@kubernetes-models/keda/${apiVersion}/${kind}`;
  if (group === '' || !group.includes('.') || group.endsWith('.k8s.io')) return `kubernetes-models/${apiVersion}/${kind}`;
  return undefined;
}

/**
 * Unknown and mistyped fields, at any depth, that the JSON schemas of kubernetes-models let through (they
 * do not forbid additional properties). Each resource becomes a typed object literal in a virtual
 * TypeScript module, `const r: IDeployment = {...}`, and the compiler's excess-property check names every
 * field the type does not have. Resources without a model are skipped (checked by operator-resources).
 */
export function unknownFieldProblems(resources: readonly Resource[], root: string): string[] {
  const file = path.join(root, 'tools/deploy-checks/src/__rendered_manifests__.mts');
  const imports = new Map<string, string>();
  const lines: string[] = [];
  const starts: Array<{ line: number; resource: Resource }> = [];
  const untyped: string[] = [];
  for (const resource of resources) {
    const module = modelTypeModule(resource.apiVersion, resource.kind);
    if (!module) continue;
    if (!existsSync(path.join(root, 'node_modules', `${module}.d.ts`))) {
      untyped.push(`${describeResource(resource)}: no type ${module} to check its fields against`);
      continue;
    }
    const alias = imports.get(module) ?? `T${imports.size}`;
    imports.set(module, alias);
    starts.push({ line: lines.length, resource });
    lines.push(...`export const r${starts.length}: ${alias} = ${JSON.stringify(resource, null, 1)};`.split('\n'));
  }
  const header = [...imports].map(([module, alias]) => `import type { I${module.slice(module.lastIndexOf('/') + 1)} as ${alias} } from '${module}';`);
  const text = [...header, ...lines].join('\n');

  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.getSourceFile = (name, language, ...rest) => (name === file ? ts.createSourceFile(name, text, language) : getSourceFile(name, language, ...rest));
  host.fileExists = (name) => name === file || fileExists(name);
  const program = ts.createProgram([file], options, host);

  return untyped.concat(ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '; ');
    if (!diagnostic.file || diagnostic.start === undefined || diagnostic.file.fileName !== file) return message;
    const line = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start).line - header.length;
    const owner = [...starts].reverse().find((start) => start.line <= line);
    const source = line >= 0 ? (lines[line] ?? '').trim() : '';
    return `${owner ? describeResource(owner.resource) : 'imports'}: ${message}${source ? ` (at ${source})` : ''}`;
  }));
}
