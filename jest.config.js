/** Jest runs the TypeScript sources directly; `npm test` type-checks first. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testTimeout: 30000,
  globalSetup: '<rootDir>/test/helpers/global-setup.ts',
  // Integration and e2e tests share one PostgreSQL and bind ports; two workers suit this 2-core machine.
  maxWorkers: 2,
};
