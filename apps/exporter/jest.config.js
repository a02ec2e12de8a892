module.exports = { ...require('../../jest.preset.js'), displayName: 'exporter-app', rootDir: __dirname };
