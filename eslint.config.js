import js from "@eslint/js";
import tseslint from "typescript-eslint";

/**
 * ESLint with typescript-eslint's type-aware rules: no floating promises, no unsafe `any`, no unused
 * code. Relaxed where the rule does not fit the code: `_`-prefixed names are deliberately unused, ANSI
 * escapes in the demo's regular expressions are control characters on purpose; tests read GitHub's
 * JSON untyped and stand in async functions with synchronous bodies.
 */
export default tseslint.config(
  {
    ignores: [
      "lib/",
      "lib-check/",
      "node_modules/",
      "coverage/",
      "reports/",
      // Stryker's sandboxes during a mutation run (copies of the tree, instrumented).
      ".stryker-tmp/",
      "test/fixtures/",
      "**/*.js",
      "**/*.mjs",
      "**/*.cjs",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        {
          argsIgnorePattern: "^_",
          varsIgnorePattern: "^_",
          destructuredArrayIgnorePattern: "^_",
          ignoreRestSiblings: true,
        },
      ],
      "no-control-regex": "off",
      // A `let` read by a closure declared before its one assignment (shutdown handlers) stays a `let`.
      "prefer-const": ["error", { ignoreReadBeforeAssign: true }],
    },
  },
  {
    // Tests read GitHub's JSON as it comes (untyped on purpose) and stand in async functions with sync bodies.
    files: ["test/**/*.ts"],
    rules: {
      "@typescript-eslint/require-await": "off",
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/restrict-template-expressions": "off",
    },
  },
);
