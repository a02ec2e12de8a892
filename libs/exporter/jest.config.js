module.exports = { ...require('../../jest.preset.js'), displayName: 'exporter', rootDir: __dirname };
