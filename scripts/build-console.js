#!/usr/bin/env node
// Builds the web console (apps/console → dist/apps/console) only when a source is newer than the build,
// so `npm start` and the tests pay for Vite once. `--force` always builds. Exits non-zero if the build fails.
const { spawnSync } = require('node:child_process');
const { existsSync, readdirSync, statSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const outDir = path.join(root, 'dist/apps/console');
const marker = path.join(outDir, 'index.html');
// What the bundle is made of: the app (not its tests) and the libs it imports.
const sources = ['apps/console/index.html', 'apps/console/vite.config.mts', 'apps/console/src', 'libs/contracts/src', 'package-lock.json'];

function newestMtime(entry) {
  if (!existsSync(entry)) return 0;
  const stat = statSync(entry);
  if (!stat.isDirectory()) return /\.spec\.tsx?$/.test(entry) ? 0 : stat.mtimeMs;
  let newest = 0;
  for (const name of readdirSync(entry)) {
    if (name === 'e2e') continue;
    newest = Math.max(newest, newestMtime(path.join(entry, name)));
  }
  return newest;
}

function isStale() {
  if (!existsSync(marker)) return 'no build yet';
  const built = statSync(marker).mtimeMs;
  const changed = sources.find((s) => newestMtime(path.join(root, s)) > built);
  return changed ? `${changed} changed` : null;
}

const force = process.argv.includes('--force');
const reason = force ? 'forced' : isStale();
if (!reason) {
  console.error('console: dist/apps/console is up to date');
  process.exit(0);
}
console.error(`console: building (${reason})`);
const vite = path.join(path.dirname(require.resolve('vite/package.json', { paths: [root] })), 'bin/vite.js');
const result = spawnSync(process.execPath, [vite, 'build', '--config', 'apps/console/vite.config.mts', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
if (result.status !== 0) {
  console.error(`console: the build failed (exit ${result.status ?? result.signal})`);
  process.exit(result.status || 1);
}
