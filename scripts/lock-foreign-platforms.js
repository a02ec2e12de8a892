#!/usr/bin/env node
// The npm registry reachable here lacks chdb's builds for other platforms, so `npm install` leaves
// them out of package-lock.json and `npm ci` then refuses the lockfile as out of sync. This records
// them as optional, platform-bound entries: npm skips them on Linux x64 without fetching anything, and
// fetches them by version on a machine of their platform. Run it after any `npm install`.
const { readFileSync, writeFileSync } = require('node:fs');
const path = require('node:path');

const lockPath = path.join(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
const chdb = lock.packages['node_modules/chdb'];
if (!chdb) throw new Error('chdb is not in package-lock.json');

const PLATFORMS = {
  '@chdb/lib-darwin-arm64': { os: ['darwin'], cpu: ['arm64'] },
  '@chdb/lib-darwin-x64': { os: ['darwin'], cpu: ['x64'] },
  '@chdb/lib-linux-arm64-gnu': { os: ['linux'], cpu: ['arm64'], libc: ['glibc'] },
  '@chdb/lib-linux-x64-gnu': { os: ['linux'], cpu: ['x64'], libc: ['glibc'] },
};
let added = 0;
for (const [name, version] of Object.entries(chdb.optionalDependencies ?? {})) {
  const key = `node_modules/${name}`;
  if (lock.packages[key]) continue;
  const platform = PLATFORMS[name];
  if (!platform) throw new Error(`unknown chdb platform package ${name}: add its os/cpu here`);
  lock.packages[key] = { version, license: 'Apache-2.0', optional: true, ...platform };
  added++;
}
if (added > 0) {
  lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)));
  writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
}
console.log(`package-lock.json: ${added} foreign-platform chdb entr${added === 1 ? 'y' : 'ies'} added`);
