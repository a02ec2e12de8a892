module.exports = { ...require('../../jest.preset.js'), displayName: 'retention', rootDir: __dirname };
