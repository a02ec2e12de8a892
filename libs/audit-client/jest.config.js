module.exports = { ...require('../../jest.preset.js'), displayName: 'audit-client', rootDir: __dirname };
