#!/usr/bin/env node
// Container entry point: runs the app whose Nx project name is in APP (ingest-app, writer-app, cli-app, …),
// through scripts/run.js, passing every argument on (`docker run <cli image> keys create --org acme`).
// `node scripts/start-app.js --resolve` prints the entry point and exits: the image build calls it so a wrong
// APP fails the build, not the first start.
const { readdirSync, readFileSync, existsSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

/** The main.ts of every Nx application under apps/, by project name. */
function appEntries() {
  const entries = new Map();
  for (const dir of readdirSync(path.join(root, 'apps'))) {
    const projectFile = path.join(root, 'apps', dir, 'project.json');
    if (!existsSync(projectFile)) continue;
    const project = JSON.parse(readFileSync(projectFile, 'utf8'));
    const main = path.join(project.sourceRoot ?? `apps/${dir}/src`, 'main.ts');
    if (project.projectType === 'application' && existsSync(path.join(root, main))) entries.set(project.name, main);
  }
  return entries;
}

const app = process.env.APP;
const entries = appEntries();
const entry = app && entries.get(app);
if (!entry) {
  console.error(`APP must name an application with a main.ts (got ${app ? `"${app}"` : 'nothing'}); there are: ${[...entries.keys()].sort().join(', ')}`);
  process.exit(2);
}
if (process.argv[2] === '--resolve') {
  console.log(entry);
} else {
  process.argv = [process.argv[0], path.join(__dirname, 'run.js'), entry, ...process.argv.slice(2)];
  require('./run.js');
}
