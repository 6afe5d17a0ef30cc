/**
 * Unit tests only (test/unit): the pure core and single modules, with no database, network or
 * child process, so they run anywhere in seconds: `npm run test:unit`. `npm test` runs them too.
 */
const base = require('./jest.config');

module.exports = {
  ...base,
  roots: ['<rootDir>/test/unit'],
  globalSetup: undefined,
  testTimeout: 10000,
};
