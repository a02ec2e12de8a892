import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { checkCompose, composeSchemaProblems } from './checks/compose-checks';
import { checkNatsValues, checkOperatorResources } from './checks/operator-resources';
import { checkPlatform } from './checks/platform-checks';
import { readSourceFacts } from './checks/source-facts';
import { checkComposeFile, checkOverlay, overlayNames } from './deployment-checks';
import { KustomizeError, renderKustomization } from './kustomize';
import type { Resource } from './resource';
import { unknownFieldProblems } from './validate/known-fields';
import { validateAgainstModels } from './validate/model-schemas';

jest.setTimeout(120_000);

const root = path.resolve(__dirname, '../../..');
/** A rendered resource opened up for the deliberate breakage below (its fields are walked by hand). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;
const facts = readSourceFacts(root);
const readYaml = (file: string): Loose => parseDocument(readFileSync(path.join(root, file), 'utf8'), { merge: true }).toJS() as Loose;

/**
 * The deployment in this repository (k8s/ overlays, docker-compose.yml) rendered and checked against the
 * schemas and against the code. The second half breaks a rendered overlay on purpose, one way at a time,
 * and expects the checks to name the break: a check that cannot fail proves nothing.
 */
describe('deployment manifests', () => {
  it('finds the services, their durable consumers and the overlays in the repository', () => {
    expect(facts.apps.filter((a) => a.service).map((a) => a.project)).toEqual(expect.arrayContaining(['ingest-app', 'writer-app', 'projector-app']));
    expect(facts.apps.find((a) => a.project === 'standalone-app')?.service).toBe(false);
    expect(facts.apps.find((a) => a.project === 'cli-app')?.service).toBe(false);
    expect(facts.durables.get('writer')).toEqual({ stream: 'AUDIT_EVENTS', lib: 'writer' });
    expect(facts.durables.get('ingest')).toEqual({ stream: 'AUDIT_INGEST', lib: 'ingest' });
    expect(overlayNames(root)).toEqual(['dev', 'production']);
  });

  it.each(['dev', 'production'])('renders the %s overlay with no schema, structural or platform problem', (overlay) => {
    const report = checkOverlay(root, overlay, facts);
    expect(report.problems).toEqual([]);
    const deployments = report.resources.filter((r) => r.kind === 'Deployment').map((r) => r.metadata.name);
    expect(deployments).toEqual(expect.arrayContaining(facts.apps.filter((a) => a.service).map((a) => a.dir)));
  });

  it('docker-compose.yml is valid Compose, builds every service app and starts them in an acyclic, health-gated order', () => {
    expect(checkComposeFile(root, facts)).toEqual([]);
  });
});

describe('the real tools behind the checks', () => {
  it('renders with kubectl kustomize, and names the overlay and the cause when kustomize refuses it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'overlay-'));
    try {
      writeFileSync(path.join(dir, 'kustomization.yaml'), 'resources:\n  - service.yaml\npatches:\n  - path: missing-patch.yaml\n');
      writeFileSync(path.join(dir, 'service.yaml'), 'apiVersion: v1\nkind: Service\nmetadata: { name: s }\nspec: { ports: [{ port: 80 }] }\n');
      expect(() => renderKustomization(dir)).toThrow(KustomizeError);
      expect(() => renderKustomization(dir)).toThrow(new RegExp(`kubectl kustomize ${dir} exited with 1: [\\s\\S]*missing-patch.yaml`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('holds docker-compose.yml to the Compose Specification schema: unknown keys, wrong types and values by path', () => {
    const compose = (readYaml('docker-compose.yml'));
    compose.services.writer.helthcheck = compose.services.writer.healthcheck;
    compose.services.migrate.restart = 'never';
    compose.services.query.depends_on.nats.condition = 'service_ready';
    compose.volumes = ['nats-data'];
    expect(composeSchemaProblems(compose)).toEqual(
      expect.arrayContaining([
        '/services/writer: unknown key helthcheck',
        expect.stringMatching(/^\/services\/query\/depends_on\/nats\/condition: should be equal to one of the allowed values \(service_started, service_healthy, service_completed_successfully\)/),
        '/volumes: should be object',
      ]),
    );
    expect(composeSchemaProblems(readYaml('docker-compose.yml'))).toEqual([]);
  });
});

describe('the checks catch what they are for', () => {
  const production = renderKustomization(path.join(root, 'k8s/overlays/production'));
  const broken = (change: (resources: Loose[]) => void): Resource[] => {
    const copy = structuredClone(production) as Loose[];
    change(copy);
    return copy as Resource[];
  };
  const get = (resources: Loose[], kind: string, name: string): Loose => {
    const found = resources.find((r) => r.kind === kind && r.metadata.name === name);
    if (!found) throw new Error(`${kind} ${name} is not in the production overlay`);
    return found;
  };
  const container = (resources: Loose[], name: string) => get(resources, 'Deployment', name).spec.template.spec.containers[0];

  it('unknown fields at any depth (which the JSON schemas let through) and schema violations', () => {
    const resources = broken((r) => {
      container(r, 'writer').resource = { limits: {} };
      get(r, 'ScaledObject', 'writer').spec.triggers[0].metadata.lagThreshold = 5000;
      get(r, 'Ingress', 'audit').spec.rules[0].hots = 'x';
    });
    expect(unknownFieldProblems(resources, root)).toEqual([
      expect.stringMatching(/^apps\/v1 Deployment writer: .*'"resource"' does not exist in type 'IContainer'/),
      expect.stringMatching(/^keda.sh\/v1alpha1 ScaledObject writer: .*lagThreshold/),
      expect.stringMatching(/^networking.k8s.io\/v1 Ingress audit: .*'"hots"' does not exist/),
    ]);
    expect(validateAgainstModels(resources).problems).toEqual(['keda.sh/v1alpha1 ScaledObject writer: /spec/triggers/0/metadata/lagThreshold must be string']);
  });

  it('a service without probes, resources, PDB or default-deny, or with replicas fighting its autoscaler', () => {
    const resources = broken((r) => {
      container(r, 'projector').readinessProbe.httpGet.path = '/healthz';
      delete container(r, 'query').resources.limits.memory;
      get(r, 'Deployment', 'writer').spec.replicas = 3;
      r.splice(r.indexOf(get(r, 'PodDisruptionBudget', 'exporter')), 1);
      r.splice(r.indexOf(get(r, 'NetworkPolicy', 'audit-default-deny')), 1);
    });
    const problems = checkPlatform(resources, facts, 'audit');
    expect(problems).toEqual(
      expect.arrayContaining([
        'Deployment projector (projector-app): readinessProbe must GET /readyz on port 3000',
        'Deployment query (query-app): resources.limits.memory is missing',
        'Deployment writer (writer-app): sets replicas although ScaledObject writer owns the count (each apply would reset it)',
        'Deployment exporter (exporter-app): needs exactly one PodDisruptionBudget selecting its pods (found 0)',
        'Deployment ingest (ingest-app): no default-deny NetworkPolicy (Ingress and Egress, no rules) selects its pods',
      ]),
    );
  });

  it('NetworkPolicies that allow less or more than a service connects to', () => {
    const resources = broken((r) => {
      get(r, 'NetworkPolicy', 'audit-egress-clickhouse').spec.podSelector.matchExpressions[0].values = ['projector', 'query', 'migrate', 'writer'];
    });
    expect(checkPlatform(resources, facts, 'audit').sort()).toEqual([
      'Deployment retention (retention-app): NetworkPolicies do not allow egress to port 8123, which it needs',
      'Deployment writer (writer-app): NetworkPolicies allow egress to port 8123, which it does not need',
    ]);
  });

  it('KEDA triggers naming a consumer the code does not create, another stream, or a sink that is switched off', () => {
    const resources = broken((r) => {
      get(r, 'ScaledObject', 'writer').spec.triggers[0].metadata.consumer = 'writers';
      get(r, 'ScaledObject', 'projector').spec.triggers[0].metadata.stream = 'AUDIT_INGEST';
      get(r, 'ScaledObject', 'exporter').spec.triggers[0].metadata.consumer = 'sink-webhook';
    });
    // In kustomize's output order (by kind, then name): compare as a sorted list.
    expect(checkPlatform(resources, facts, 'audit').sort()).toEqual([
      'ScaledObject exporter: consumer sink-webhook exists only when WEBHOOK_URL is set on exporter; KEDA would read the whole stream as its lag',
      'ScaledObject projector: consumer projector reads AUDIT_EVENTS, not AUDIT_INGEST',
      expect.stringMatching(/^ScaledObject writer: consumer "writers" is not a durable consumer the code creates/),
    ]);
  });

  it('secrets written into the manifests, variables no code reads, Ingress paths to the wrong service', () => {
    const resources = broken((r) => {
      const ingestEnv = container(r, 'ingest').env;
      ingestEnv[ingestEnv.findIndex((e: Loose) => e.name === 'DATABASE_URL')] = { name: 'DATABASE_URL', value: 'postgres://u:p@db/audit' };
      get(r, 'ConfigMap', 'audit-config').data.STREAM_REPLICA = '3';
      get(r, 'Ingress', 'audit').spec.rules[1].http.paths[0].backend.service.name = 'query';
    });
    expect(checkPlatform(resources, facts, 'audit')).toEqual(
      expect.arrayContaining([
        'Deployment ingest (ingest-app): DATABASE_URL has a literal value: take it from a Secret',
        'Deployment ingest (ingest-app): connects to Postgres but DATABASE_URL is not from a Secret',
        'Deployment writer (writer-app): sets STREAM_REPLICA, which no code reads',
        expect.stringMatching(/^Ingress audit audit.example.com\/v1\/exports: query serves no route under \/v1\/exports/),
        'Deployment exporter (exporter-app): admits traffic from outside monitoring although the Ingress does not route to it',
      ]),
    );
  });

  it("the operators' resources: unknown fields, and names that disagree with the services", () => {
    const resources = broken((r) => {
      get(r, 'Cluster', 'audit-postgres').spec.instance = 3;
      get(r, 'Cluster', 'audit-postgres').spec.instances = 1;
      get(r, 'ClickHouseInstallation', 'audit').spec.configuration.zookeeper.nodes[0].host = 'zookeeper';
      get(r, 'ConfigMap', 'audit-config').data.CLICKHOUSE_URL = 'http://clickhouse:8123';
      container(r, 'writer').env.find((e: Loose) => e.name === 'DATABASE_URL').valueFrom.secretKeyRef.name = 'postgres-credentials';
    });
    const operators = resources.filter((r) => ['Cluster', 'ClickHouseInstallation', 'ClickHouseKeeperInstallation'].includes(r.kind));
    const problems = checkOperatorResources(operators, resources);
    expect(problems).toEqual(
      expect.arrayContaining([
        'postgresql.cnpg.io/v1 Cluster audit-postgres: unknown field spec.instance',
        'postgresql.cnpg.io/v1 Cluster audit-postgres: instances must be ≥ 3 (a primary and two replicas)',
        'Deployment writer: DATABASE_URL must come from Secret audit-postgres-app, key uri (CloudNativePG), not postgres-credentials/uri',
        expect.stringMatching(/ClickHouseInstallation audit: zookeeper.nodes must name the Keeper installation's Service \(keeper-audit-keeper\)/),
        'Deployment query: CLICKHOUSE_URL http://clickhouse:8123 is not the installation\'s Service clickhouse-audit:8123',
      ]),
    );
  });

  it('ClickHouse replicas without the services creating replicated tables, or on another cluster', () => {
    const operators = (resources: Resource[]) => resources.filter((r) => ['ClickHouseInstallation', 'ClickHouseKeeperInstallation'].includes(r.kind));
    const clickhouse = (r: Loose[]) => get(r, 'ClickHouseInstallation', 'audit').spec.configuration.clusters[0];
    expect(checkOperatorResources(operators(production), production)).toEqual([]);
    expect(clickhouse(production as Loose[]).layout.replicasCount).toBeGreaterThanOrEqual(2);

    const unset = broken((r) => delete get(r, 'ConfigMap', 'audit-config').data.CLICKHOUSE_CLUSTER);
    expect(checkOperatorResources(operators(unset), unset)).toEqual(
      expect.arrayContaining([
        'Deployment projector: clickhouse.altinity.com/v1 ClickHouseInstallation audit has 2 replicas but CLICKHOUSE_CLUSTER is not set: the tables would not replicate and each replica would answer differently',
        'Job migrate: clickhouse.altinity.com/v1 ClickHouseInstallation audit has 2 replicas but CLICKHOUSE_CLUSTER is not set: the tables would not replicate and each replica would answer differently',
      ]),
    );
    const renamed = broken((r) => (clickhouse(r).name = 'audit-ch'));
    expect(checkOperatorResources(operators(renamed), renamed)).toEqual(expect.arrayContaining(["Deployment query: CLICKHOUSE_CLUSTER audit is not the installation's cluster (audit-ch)"]));
    const sharded = broken((r) => (clickhouse(r).layout.shardsCount = 2));
    expect(checkOperatorResources(operators(sharded), sharded)).toEqual([
      expect.stringMatching(/ClickHouseInstallation audit: 2 shards, but the projection's schema is replicated, not sharded/),
    ]);
    // One replica needs no cluster: the single-server schema is right there.
    const single = broken((r) => {
      clickhouse(r).layout.replicasCount = 1;
      delete get(r, 'ConfigMap', 'audit-config').data.CLICKHOUSE_CLUSTER;
    });
    expect(checkOperatorResources(operators(single), single)).toEqual([]);
  });

  it('NATS values that do not give the streams three replicas, or hide monitoring from KEDA', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nats-values-'));
    try {
      const file = path.join(dir, 'values.yaml');
      writeFileSync(file, readFileSync(path.join(root, 'k8s/overlays/production/nats-values.yaml'), 'utf8').replace('replicas: 3', 'replicas: 2').replace('port: 8222', 'port: 8223'));
      expect(checkNatsValues(file, production)).toEqual(
        expect.arrayContaining([
          `${file}: config.cluster must be enabled with an odd number (≥ 3) of replicas`,
          'ScaledObject writer: the monitoring endpoint is not on port 8223',
          'ConfigMap: STREAM_REPLICAS is 3, expected 2 on a 2-node JetStream cluster',
        ]),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a compose file with an unknown app, a dependency cycle, a service started before the migration, a gateway route to the wrong service', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'compose-'));
    try {
      const file = path.join(dir, 'docker-compose.yml');
      const caddyfile = path.join(dir, 'Caddyfile');
      writeFileSync(caddyfile, readFileSync(path.join(root, 'docker/Caddyfile'), 'utf8').replace('reverse_proxy exporter:3000', 'reverse_proxy query:3000'));
      const text = readFileSync(path.join(root, 'docker-compose.yml'), 'utf8')
        .replace('./docker/Caddyfile:', `${caddyfile}:`)
        .replace('args: { APP: writer-app }', 'args: { APP: writers-app }')
        .replace(/( {2}postgres:\n {4}image: postgres:16-alpine\n)/, '$1    depends_on: { migrate: { condition: service_completed_successfully } }\n')
        .replace(/\n {2}retention:\n[\s\S]*?\n\n/, '\n  retention:\n    build: { context: ., args: { APP: retention-app } }\n    environment: *platform-env\n    depends_on: { clickhouse: { condition: service_healthy } }\n\n');
      writeFileSync(file, text);
      expect(checkCompose(file, facts, root)).toEqual(
        expect.arrayContaining([
          'compose service writer: build arg APP=writers-app names no app with a main.ts in apps/',
          expect.stringMatching(/depends_on cycle (postgres → migrate → postgres|migrate → postgres → migrate)/),
          'compose service retention: must start after migrate completed (services run with MIGRATE_ON_START=false)',
          `${file}: no service builds writer-app`,
          expect.stringMatching(/Caddyfile: \/v1\/exports\* → query serves no route under \/v1\/exports\*/),
        ]),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
