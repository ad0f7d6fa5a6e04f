/** Jest runs two projects: fast unit specs beside the code, and integration specs under test/integration
 * that talk to the real Kafka broker and Postgres (global setup provisions both). */
const moduleNameMapper = {
  '^@clickstream/(contracts|platform|streams)$': '<rootDir>/libs/$1/src',
  '^@clickstream/(contracts|platform|streams)/(.*)$': '<rootDir>/libs/$1/src/$2',
};
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] };

module.exports = {
  // Integration specs run real processes against a real broker; unit specs finish far sooner.
  testTimeout: 180000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      roots: ['<rootDir>/libs', '<rootDir>/services', '<rootDir>/tools', '<rootDir>/deploy'],
      testMatch: ['**/*.spec.ts'],
      moduleNameMapper,
      transform,
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      roots: ['<rootDir>/test/integration'],
      testMatch: ['**/*.int-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
      moduleNameMapper,
      transform,
    },
  ],
};
