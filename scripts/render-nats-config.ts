/**
 * Writes the NATS configuration of Docker Compose (docker/nats-server.conf) and of the dev overlay
 * (k8s/overlays/dev/nats-config.yaml) with an emitter user for each organization given:
 *   node scripts/run.js scripts/render-nats-config.ts acme globex
 * Each emitter's password is then the server's NATS_PASSWORD_EMITTER_<ORG> (docs/nats-security.md).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderComposeNatsConfig } from '@audit/embedded';

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
process.stdout.write(`wrote docker/nats-server.conf and k8s/overlays/dev/nats-config.yaml with emitters: ${organizations.join(', ')}\n`);
