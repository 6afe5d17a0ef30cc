/** Jest runs the TypeScript sources directly; `npm test` type-checks first. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  // Generous: PostgreSQL stores are migrated per test, and CI machines are shared.
  testTimeout: 90000,
  // The chaos test (minutes, four real processes per store) runs after the rest, alone on the machine:
  // `npm test` ends with `npm run test:chaos`.
  testPathIgnorePatterns: ['/node_modules/', ...(process.env.SNOWLINE_CHAOS ? [] : ['<rootDir>/test/chaos/'])],
  globalSetup: '<rootDir>/test/helpers/global-setup.ts',
  // Integration and e2e tests share one PostgreSQL and bind ports; two workers suit this 2-core machine.
  maxWorkers: 2,
};
