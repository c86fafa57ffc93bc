// ESM jest: @kubernetes/client-node 2.x ships only ESM, so the whole suite runs as ESM modules
// (NODE_OPTIONS=--experimental-vm-modules is set by the npm scripts).
export default {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  reporters: ['default', '<rootDir>/test/summary-reporter.cjs'],
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/test/e2e/'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, diagnostics: false }],
  },
};
