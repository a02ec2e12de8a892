module.exports = { ...require('../../jest.preset.js'), displayName: 'sealer', rootDir: __dirname };
