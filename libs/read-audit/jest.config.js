module.exports = { ...require('../../jest.preset.js'), displayName: 'read-audit', rootDir: __dirname };
