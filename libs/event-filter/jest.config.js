module.exports = { ...require('../../jest.preset.js'), displayName: 'event-filter', rootDir: __dirname };
