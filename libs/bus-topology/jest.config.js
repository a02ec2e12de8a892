module.exports = { ...require('../../jest.preset.js'), displayName: 'bus-topology', rootDir: __dirname };
