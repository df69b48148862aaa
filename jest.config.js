/**
 * Jest runs the TypeScript tests as ESM (NODE_OPTIONS=--experimental-vm-modules, set by `npm test`).
 * ts-jest only transpiles (isolatedModules, tsconfig.test.json): `npm test` type-checks src and test
 * with `npm run lint` first, so checking types again per test file would only cost time.
 */
export default {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  extensionsToTreatAsEsm: [".ts"],
  moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
  transform: { "^.+\\.ts$": ["ts-jest", { useESM: true, tsconfig: "tsconfig.test.json" }] },
  testTimeout: 20000,
};
