/**
 * One jest run, two projects: fast unit tests beside the code, and end-to-end tests against the real
 * Kafka and MongoDB-protocol servers (started once by the global setup when not given by env).
 */
const moduleNameMapper = {
  '^@kielto/contracts$': '<rootDir>/libs/contracts/src',
  // Subpath entries (tsconfig.json "paths"): pure code imports what it needs without the decorated classes.
  '^@kielto/contracts/(enums|topics|feed|rules|identity|events|asyncapi)$': '<rootDir>/libs/contracts/src/$1',
  '^@kielto/contracts/event-names$': '<rootDir>/libs/contracts/src/events/names',
  '^@kielto/platform$': '<rootDir>/libs/platform/src',
};
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] };
const common = {
  rootDir: __dirname,
  setupFiles: ['reflect-metadata'],
  moduleFileExtensions: ['js', 'json', 'ts'],
  testEnvironment: 'node',
  transform,
  moduleNameMapper,
};

module.exports = {
  // Per-project testTimeout is ignored by jest; end-to-end hooks start real services, so allow them time.
  testTimeout: 120000,
  // End-to-end files mostly wait on Kafka and the database; two workers halve the wall time on 2 cores.
  maxWorkers: 2,
  // Recycle a worker that holds more than this after a file, so memory-measuring tests start from a fresh heap.
  workerIdleMemoryLimit: '300MB',
  globalSetup: '<rootDir>/test/setup/global-setup.js',
  globalTeardown: '<rootDir>/test/setup/global-teardown.js',
  reporters: ['default', '<rootDir>/test/setup/summary-reporter.js'],
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/{apps,libs}/**/src/**/*.spec.ts', '<rootDir>/cli/**/*.spec.ts'],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/apps/*/test/**/*.e2e-spec.ts', '<rootDir>/test/**/*.e2e-spec.ts'],
    },
  ],
};
