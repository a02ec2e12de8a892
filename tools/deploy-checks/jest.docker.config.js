// `npm run test:deploy`: the checks that need a Docker engine (see docker/setup.sh, run first by the script).
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'deploy-checks (docker)',
  rootDir: __dirname,
  testMatch: ['**/*.docker.spec.ts'],
};
