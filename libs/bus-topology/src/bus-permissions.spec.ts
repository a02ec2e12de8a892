import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { SERVICE_CONSUMERS } from './bus-permissions';

const libs = path.resolve(__dirname, '../..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sources(file);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [file] : [];
  });
}

describe('bus permissions', () => {
  it('grant every durable consumer the code creates to a service, so its NATS user may create and pull it', () => {
    const inCode = new Set<string>();
    for (const file of sources(libs)) for (const match of readFileSync(file, 'utf8').matchAll(/durable:\s*'([A-Za-z0-9_-]+)'/g)) inCode.add(match[1]);
    const granted = new Set(Object.values(SERVICE_CONSUMERS).flatMap((consumers) => consumers.map((c) => c.durable)));
    expect([...inCode].filter((durable) => !granted.has(durable))).toEqual([]);
    expect(inCode.size).toBeGreaterThanOrEqual(6);
  });
});
