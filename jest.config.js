/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }],
  },
  moduleNameMapper: { '^@azure/functions-core$': '<rootDir>/local/functionsCore.ts' },
  // One Azurite for the whole run; test files read its connection string from the environment.
  globalSetup: '<rootDir>/test/support/azuriteGlobalSetup.ts',
  globalTeardown: '<rootDir>/test/support/azuriteGlobalTeardown.ts',
  testTimeout: 30000,
  // The end-to-end and lab suites spend most of their time waiting on real timers: one worker per
  // core (jest's default leaves one idle) halves the run on a 2-core machine.
  maxWorkers: '100%',
};
