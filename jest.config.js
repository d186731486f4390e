/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  roots: ['<rootDir>/test'],
  modulePathIgnorePatterns: ['<rootDir>/test/compat/nest11/node_modules', '<rootDir>/test/compat/nest11-jest/node_modules'],
  // The `nest new`-shaped app runs its own Jest, as its users would (see test/compat/compat.spec.ts).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/compat/nest11-jest/'],
  testMatch: ['**/*.spec.ts'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.json' }],
  },
  testTimeout: 20000,
};
