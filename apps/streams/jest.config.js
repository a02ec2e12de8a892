module.exports = { ...require('../../jest.preset.js'), displayName: 'streams-app', rootDir: __dirname };
