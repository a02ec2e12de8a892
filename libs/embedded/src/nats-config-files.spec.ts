import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { busUsers } from '@audit/bus-topology';
import { passwordVariable, renderComposeNatsConfig } from './nats-auth';

const root = path.resolve(__dirname, '../../..');

/** The organizations whose emitter users the shipped configurations carry (a local trial's `acme`). */
const SHIPPED_EMITTERS = ['acme'];

/** The users of the deployments are the code's (busUsers), so a permission changed in one place is changed everywhere. */
describe('NATS users of the shipped deployments', () => {
  it('docker/nats-server.conf is renderComposeNatsConfig (regenerate it when they differ)', () => {
    expect(readFileSync(path.join(root, 'docker/nats-server.conf'), 'utf8')).toBe(renderComposeNatsConfig(SHIPPED_EMITTERS));
  });

  it("the dev overlay's NATS configuration is the same", () => {
    const configMap = parse(readFileSync(path.join(root, 'k8s/overlays/dev/nats-config.yaml'), 'utf8')) as { data: Record<string, string> };
    expect(configMap.data['nats-server.conf']).toBe(renderComposeNatsConfig(SHIPPED_EMITTERS));
  });

  it("the production NATS Helm values carry every user but the all-in-one platform's, with the code's permissions and a password from the Secret", () => {
    const values = parse(readFileSync(path.join(root, 'k8s/overlays/production/nats-values.yaml'), 'utf8')) as {
      config: { merge: { authorization: { users: Array<{ user: string; password: string; permissions: unknown }> } } };
      container: { env: Record<string, { valueFrom: { secretKeyRef: { name: string; key: string } } }> };
    };
    const expected = busUsers(SHIPPED_EMITTERS).filter(({ user }) => user !== 'platform');
    const users = values.config.merge.authorization.users;
    expect(users.map(({ user, permissions }) => ({ user, permissions }))).toEqual(expected);
    for (const { user, password } of users) {
      expect(password).toBe(`<< $${passwordVariable(user)} >>`);
      expect(values.container.env[passwordVariable(user)]).toEqual({ valueFrom: { secretKeyRef: { name: 'audit-nats-users', key: user } } });
    }
  });
});
