// Two projects: `engine` (pure, no database) and `server` (module and e2e tests on a real PostgreSQL,
// embedded by default or DATABASE_URL). Both run TypeScript through @swc/jest in ESM mode.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'es6' },
  },
];
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': swc },
  testEnvironment: 'node',
};
export default {
  // Global (per-project values are ignored): server tests start apps, servers and CLIs.
  testTimeout: 60000,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.mjs'],
  projects: [
    { ...common, displayName: 'engine', testMatch: ['<rootDir>/engine/**/*.spec.ts', '<rootDir>/test/configs/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'server',
      testMatch: ['<rootDir>/modules/**/*.spec.ts', '<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.mjs',
      globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
    },
  ],
};
