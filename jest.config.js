const ESM_PACKAGES = ['hyparquet[^/]*', 'hysnappy', 'zstddec', 'fzstd', 'teeny-request', 'node-fetch', 'fetch-blob', 'formdata-polyfill', 'data-uri-to-buffer'].join('|');

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }],
    // ES modules jest on node 20 cannot load as they are: hyparquet, its compressors and writer, hysnappy,
    // zstddec, and node-fetch 3 (with its own), which the BigQuery client's teeny-request imports dynamically.
    [`/node_modules/(${ESM_PACKAGES})/.+\\.m?js$`]: ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: [`^(?!.*/node_modules/(${ESM_PACKAGES})/).*/node_modules/`],
  testTimeout: 60000,
  maxWorkers: 2,
  // The Pub/Sub and Firestore emulators, once per run, for the Google Cloud adapters' tests.
  globalSetup: '<rootDir>/test/emulators/global_setup.ts',
  globalTeardown: '<rootDir>/test/emulators/global_teardown.ts',
  // A stack a failed test left running is killed with its file.
  setupFilesAfterEnv: ['<rootDir>/test/support/leftover_stacks.ts'],
};
