module.exports = { ...require('../../jest.preset.js'), displayName: 'jetstream-publish', rootDir: __dirname };
