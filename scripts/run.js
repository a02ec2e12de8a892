#!/usr/bin/env node
// Runs a TypeScript entry point of this workspace without a build step:
// swc transpiles on load (with decorator metadata) and tsconfig paths resolve the libs.
const path = require('node:path');

const root = path.resolve(__dirname, '..');
process.env.SWC_NODE_PROJECT ??= path.join(root, 'tsconfig.base.json');
require('@swc-node/register');

const [, , entry, ...args] = process.argv;
if (!entry) {
  console.error('usage: node scripts/run.js <entry.ts> [args...]');
  process.exit(2);
}
process.argv = [process.argv[0], path.resolve(root, entry), ...args];
require(path.resolve(root, entry));
