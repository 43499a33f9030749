/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }],
    // hyparquet, its compressors/writer and hysnappy ship ES modules only; jest's module system needs CommonJS.
    '/node_modules/(hyparquet[^/]*|hysnappy)/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(hyparquet|hysnappy))'],
  testTimeout: 60000,
  maxWorkers: 2,
  // The Pub/Sub and Firestore emulators, once per run, for the Google Cloud adapters' tests.
  globalSetup: '<rootDir>/test/emulators/global_setup.ts',
  globalTeardown: '<rootDir>/test/emulators/global_teardown.ts',
  // A stack a failed test left running is killed with its file.
  setupFilesAfterEnv: ['<rootDir>/test/support/leftover_stacks.ts'],
};
