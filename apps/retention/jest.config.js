module.exports = { ...require('../../jest.preset.js'), displayName: 'retention-app', rootDir: __dirname };
