// The fast checks (kubectl kustomize, the models' schemas, the Compose schema) run in `npm test`; the
// *.docker.spec.ts files build and start the images and run only in `npm run test:deploy` (jest.docker.config.js).
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'deploy-checks',
  rootDir: __dirname,
  testPathIgnorePatterns: ['/node_modules/', '\\.docker\\.spec\\.ts$'],
};
