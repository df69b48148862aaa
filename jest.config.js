/**
 * Jest runs the TypeScript tests as ESM (NODE_OPTIONS=--experimental-vm-modules, set by `npm test`).
 * ts-jest only transpiles (isolatedModules, tsconfig.test.json): `npm test` type-checks src and test
 * with `npm run lint` first, so checking types again per test file would only cost time.
 */
export default {
  testEnvironment: "<rootDir>/test/helpers/log-environment.cjs",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  extensionsToTreatAsEsm: [".ts"],
  moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
  transform: { "^.+\\.ts$": ["ts-jest", { useESM: true, tsconfig: "tsconfig.test.json" }] },
  testTimeout: 20000,
  // nock touches globals Jest soft-deletes between files; the warning is noise, not a leak of ours.
  testEnvironmentOptions: { globalsCleanup: "off" },
};
