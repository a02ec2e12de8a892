// Root config: every project's jest.config.js, run as one suite by `npm test`.
const { readdirSync, existsSync } = require('node:fs');
const path = require('node:path');

const projects = ['apps', 'libs', 'tools'].flatMap((dir) =>
  readdirSync(path.join(__dirname, dir))
    .map((name) => path.join(__dirname, dir, name, 'jest.config.js'))
    .filter((file) => existsSync(file)),
);

// testTimeout is a global option: in a project's config jest ignores it, so it is set here for all of them.
module.exports = { projects, testTimeout: 60_000 };
