// Guardrails, not style: import cycles, the CLI boundary, and typescript-eslint's recommended
// rules minus those that would force hundreds of unrelated edits. Formatting is Prettier's job.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

export default tseslint.config(
  { ignores: ['dist/**', 'docs/api/**', 'node_modules/**', 'native/build/**', 'results/**', 'runs/**', 'scratch/**', 'tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: {
        console: 'readonly',
        process: 'readonly',
        performance: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setImmediate: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        structuredClone: 'readonly',
        Buffer: 'readonly',
      },
    },
    plugins: { 'import-x': importX },
    settings: {
      // import-x parses the imported files itself: it needs to know .ts files and their parser.
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      // Resolves the `./x.js` specifiers of the TypeScript sources to their `.ts` files.
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
    },
    rules: {
      'import-x/no-cycle': ['error', { maxDepth: Infinity, ignoreExternal: true }],
      // Off: each would be hundreds of edits unrelated to the guardrails (numeric kernels use `!` on
      // typed-array reads by design; tests and experiments use `any` at JSON boundaries).
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
    },
  },
  {
    // The library must not depend on the command line: nothing outside src/cli/ imports it or its packages.
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'commander', message: 'commander is for src/cli/ only: the library must not depend on the command line.' },
            { name: 'cli-progress', message: 'cli-progress is for src/cli/ only: report progress through callbacks instead.' },
          ],
          patterns: [{ group: ['**/cli/**', '**/cli', '*/cli/*'], message: 'src/cli/ is the command line: the library must not import it.' }],
        },
      ],
    },
  },
  {
    // The example web page: a plain browser script (no build step) with TF.js loaded as the global `tf`.
    files: ['examples/web/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: { window: 'readonly', document: 'readonly', location: 'readonly', URLSearchParams: 'readonly', fetch: 'readonly', createImageBitmap: 'readonly', tf: 'readonly' },
    },
  },
);
