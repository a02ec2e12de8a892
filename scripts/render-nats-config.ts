/**
 * Writes the NATS configuration of Docker Compose (docker/nats-server.conf), of the dev overlay
 * (k8s/overlays/dev/nats-config.yaml) and the users of the production Helm values
 * (k8s/overlays/production/nats-values.yaml) with an emitter user for each organization given:
 *   node scripts/run.js scripts/render-nats-config.ts acme globex
 * Each emitter's password is then the server's NATS_PASSWORD_EMITTER_<ORG> (docs/nats-security.md).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { busUsers } from '@audit/bus-topology';
import { passwordVariable, renderComposeNatsConfig } from '@audit/embedded';

const organizations = process.argv.slice(2);
if (organizations.length === 0) {
  process.stderr.write('usage: node scripts/run.js scripts/render-nats-config.ts <org>...\n');
  process.exit(2);
}
const root = path.resolve(__dirname, '..');
const config = renderComposeNatsConfig(organizations);
writeFileSync(path.join(root, 'docker/nats-server.conf'), config);
const indented = config.split('\n').map((line) => (line ? `    ${line}` : line)).join('\n');
writeFileSync(
  path.join(root, 'k8s/overlays/dev/nats-config.yaml'),
  [
    "# The dev NATS's configuration: the platform's users and permissions, the same text as",
    '# docker/nats-server.conf (a test compares both with renderComposeNatsConfig; docs/nats-security.md).',
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: nats-config',
    '  labels:',
    '    app.kubernetes.io/name: nats',
    'data:',
    '  nats-server.conf: |',
    indented,
  ].join('\n'),
);

// The Helm values keep their hand-written settings and comments; only the users and the environment
// variables their passwords come from are the code's. The all-in-one platform's user has no place in a
// split deployment.
const helmFile = path.join(root, 'k8s/overlays/production/nats-values.yaml');
const values = parseDocument(readFileSync(helmFile, 'utf8'));
const users = busUsers(organizations).filter(({ user }) => user !== 'platform');
values.setIn(
  ['config', 'merge', 'authorization', 'users'],
  users.map(({ user, permissions }) => ({ user, password: `<< $${passwordVariable(user)} >>`, permissions })),
);
values.setIn(
  ['container', 'env'],
  Object.fromEntries(users.map(({ user }) => [passwordVariable(user), { valueFrom: { secretKeyRef: { name: 'audit-nats-users', key: user } } }])),
);
writeFileSync(helmFile, values.toString({ lineWidth: 0 }));
process.stdout.write(
  `wrote docker/nats-server.conf, k8s/overlays/dev/nats-config.yaml and the users of k8s/overlays/production/nats-values.yaml with emitters: ${organizations.join(', ')}\n`,
);
