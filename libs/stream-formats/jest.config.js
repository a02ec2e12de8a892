module.exports = { ...require('../../jest.preset.js'), displayName: 'stream-formats', rootDir: __dirname };
