// e2e suite against a real kube-apiserver + etcd (scripts/control-plane/). Run with
// `NODE_OPTIONS=--experimental-vm-modules jest -c jest.e2e.config.js`; docs/e2e.md explains it.
export default {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  reporters: ['default', '<rootDir>/test/summary-reporter.cjs'],
  roots: ['<rootDir>/test/e2e'],
  testMatch: ['<rootDir>/test/e2e/**/*.e2e.test.ts'],
  globalSetup: '<rootDir>/test/e2e/global-setup.ts',
  globalTeardown: '<rootDir>/test/e2e/global-teardown.ts',
  // One shared API server: tests run one file at a time so that cluster-scoped objects
  // (webhook configurations above all) of one file never act on another's requests.
  maxWorkers: 1,
  testTimeout: 120_000,
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, diagnostics: false }],
  },
};
