// Lint for the dashboard's ES modules: browser globals, recommended rules, no build step.
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["training/static/vendor/**", "node_modules/**"] },
  js.configs.recommended,
  {
    files: ["training/static/js/**/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: { ...globals.browser },
    },
    rules: {
      "no-unused-vars": ["error", { argsIgnorePattern: "^_", caughtErrors: "none" }],
      "no-implicit-globals": "error",
      "no-eval": "error",
      "no-implied-eval": "error",
    },
  },
];
