import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KustomizeError } from './errors';
import { renderKustomization, splitImage } from './render';
import type { Resource } from './resource';

/** Each case writes a small base and overlay to a temporary directory and renders it. */
describe('renderKustomization (the kustomize subset)', () => {
  let dir: string;
  const write = (file: string, text: string): void => {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  };
  const kustomization = (folder: string, body: string): void =>
    write(`${folder}/kustomization.yaml`, `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n${body}`);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a rendered resource, walked by hand in assertions
  const byName = (resources: Resource[], kind: string, name: string): Record<string, any> => {
    const found = resources.find((r) => r.kind === kind && r.metadata.name === name);
    if (!found) throw new Error(`${kind} ${name} not rendered`);
    return found;
  };

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'kustomize-'));
    write(
      'base/app.yaml',
      `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: { app: web }
spec:
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
        - name: web
          image: example/web:1.0
          env:
            - { name: A, value: "1" }
            - { name: B, value: "2" }
          args: ["--one"]
        - name: sidecar
          image: example/sidecar
---
apiVersion: v1
kind: ConfigMap
metadata: { name: config }
data: { KEEP: "yes", DROP: "no" }
`,
    );
    kustomization('base', 'labels:\n  - pairs: { team: audit }\n    includeSelectors: false\nresources:\n  - app.yaml\n');
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('loads resources from files and kustomization directories, labels metadata only, and sets the namespace', () => {
    kustomization('overlay', 'namespace: prod\nresources:\n  - ../base\n');
    const resources = renderKustomization(path.join(dir, 'overlay'));
    expect(resources.map((r) => `${r.kind}/${r.metadata.name}@${r.metadata.namespace}`)).toEqual(['Deployment/web@prod', 'ConfigMap/config@prod']);
    const web = byName(resources, 'Deployment', 'web');
    expect(web.metadata.labels).toEqual({ app: 'web', team: 'audit' });
    // includeSelectors: false leaves selectors and pod templates alone.
    expect(web.spec.selector).toEqual({ matchLabels: { app: 'web' } });
    expect(web.spec.template.metadata.labels).toEqual({ app: 'web' });
  });

  it('rewrites images by name: a new name and tag, a digest, or the name alone keeping the tag', () => {
    kustomization(
      'overlay',
      `resources: [../base]
images:
  - { name: example/web, newName: registry.local/web, newTag: "2.0" }
  - { name: example/sidecar, digest: "sha256:abc" }
  - { name: example/other, newTag: x }
`,
    );
    const containers = byName(renderKustomization(path.join(dir, 'overlay')), 'Deployment', 'web').spec.template.spec.containers;
    expect(containers.map((c: { image: string }) => c.image)).toEqual(['registry.local/web:2.0', 'example/sidecar@sha256:abc']);
    expect(splitImage('registry:5000/a/b:tag@sha256:1')).toEqual({ name: 'registry:5000/a/b', tag: 'tag', digest: 'sha256:1' });
  });

  it('merges a strategic-merge patch: containers and env by name, maps recursively, null deletes, new lists set', () => {
    write(
      'overlay/patch.yaml',
      `apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 3
  template:
    spec:
      tolerations: [{ key: dedicated, operator: Exists }]
      containers:
        - name: web
          env:
            - { name: B, value: "two" }
            - { name: C, value: "3" }
          resources: { limits: { memory: 1Gi } }
`,
    );
    kustomization(
      'overlay',
      `resources: [../base]
patches:
  - path: patch.yaml
  - patch: |-
      apiVersion: v1
      kind: ConfigMap
      metadata: { name: config }
      data: { DROP: null, ADD: "1" }
`,
    );
    const resources = renderKustomization(path.join(dir, 'overlay'));
    const web = byName(resources, 'Deployment', 'web');
    expect(web.spec.replicas).toBe(3);
    expect(web.spec.template.spec.tolerations).toEqual([{ key: 'dedicated', operator: 'Exists' }]);
    expect(web.spec.template.spec.containers[0]).toEqual({
      name: 'web',
      image: 'example/web:1.0',
      env: [
        { name: 'A', value: '1' },
        { name: 'B', value: 'two' },
        { name: 'C', value: '3' },
      ],
      args: ['--one'],
      resources: { limits: { memory: '1Gi' } },
    });
    expect(web.spec.template.spec.containers[1].name).toBe('sidecar');
    expect(byName(resources, 'ConfigMap', 'config').data).toEqual({ KEEP: 'yes', ADD: '1' });
  });

  it('refuses a strategic-merge patch of an existing list whose merge strategy it does not implement', () => {
    kustomization(
      'overlay',
      `resources: [../base]
patches:
  - patch: |-
      apiVersion: apps/v1
      kind: Deployment
      metadata: { name: web }
      spec:
        template:
          spec:
            containers:
              - name: web
                args: ["--two"]
`,
    );
    expect(() => renderKustomization(path.join(dir, 'overlay'))).toThrow(/args: a strategic-merge patch may only set a list the target lacks.*use a JSON 6902 patch/);
  });

  it('applies JSON 6902 patches to every target matched by kind and anchored name', () => {
    kustomization(
      'overlay',
      `resources: [../base]
patches:
  - target: { kind: Deployment, name: we.* }
    patch: |-
      - { op: test, path: /spec/template/spec/containers/0/args/0, value: "--one" }
      - { op: replace, path: /spec/template/spec/containers/0/args/0, value: "--two" }
      - { op: add, path: /spec/template/spec/containers/0/args/-, value: "--three" }
      - { op: remove, path: /spec/template/spec/containers/1 }
      - { op: add, path: /metadata/annotations, value: { a~b/c: "1" } }
`,
    );
    const web = byName(renderKustomization(path.join(dir, 'overlay')), 'Deployment', 'web');
    expect(web.spec.template.spec.containers.map((c: { name: string }) => c.name)).toEqual(['web']);
    expect(web.spec.template.spec.containers[0].args).toEqual(['--two', '--three']);
    expect(web.metadata.annotations).toEqual({ 'a~b/c': '1' });
  });

  it('names the problem: an unsupported field, a patch that matches nothing, a failed test, a declared-twice resource', () => {
    kustomization('a', 'resources: [../base]\ncommonLabels: { x: y }\n');
    expect(() => renderKustomization(path.join(dir, 'a'))).toThrow(/unsupported field\(s\) commonLabels/);
    kustomization('b', 'resources: [../base]\npatches:\n  - target: { kind: Deployment, name: w }\n    patch: "[{op: remove, path: /spec}]"\n');
    expect(() => renderKustomization(path.join(dir, 'b'))).toThrow(/the target matches no resource/);
    kustomization('c', 'resources: [../base]\npatches:\n  - target: { kind: ConfigMap }\n    patch: "[{op: test, path: /data/KEEP, value: no}]"\n');
    expect(() => renderKustomization(path.join(dir, 'c'))).toThrow(/test failed/);
    kustomization('d', 'resources: [../base, ../base/app.yaml]\n');
    expect(() => renderKustomization(path.join(dir, 'd'))).toThrow(KustomizeError);
    expect(() => renderKustomization(path.join(dir, 'd'))).toThrow(/declared twice/);
  });
});
