// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const ioModules = ['fs', 'fs/*', 'node:*', 'net', 'http', 'https', 'child_process', 'os', 'crypto', 'mssql', 'tedious', 'nodemailer', '@azure/storage-blob', '@azure/service-bus', '@azure/identity', '@azure/communication-email'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '*.config.js', '*.config.mjs', '.dependency-cruiser.cjs', 'scripts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      eqeqeq: ['error', 'always'],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-floating-promises': 'error',
      'no-console': 'off',
    },
  },
  {
    // Orchestrators are replayed: they must be deterministic by construction.
    files: ['orchestrations/**/*.ts'],
    // Activities do their I/O through dependencies; everything else under orchestrations/ is replayed.
    ignores: ['orchestrations/**/activities/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ioModules, message: 'Orchestrators do no I/O: call an activity.' }, { group: ['**/adapters/**'], message: 'Orchestrators do no I/O: call an activity.' }] }],
      'no-restricted-globals': ['error', { name: 'process', message: 'No environment reads in orchestrators: pass settings as input.' }, { name: 'setTimeout', message: 'Use a durable timer.' }, { name: 'setInterval', message: 'Use a durable timer.' }, { name: 'fetch', message: 'Call an activity.' }],
      'no-restricted-properties': ['error', { object: 'Date', property: 'now', message: 'Use context.df.currentUtcDateTime.' }, { object: 'Math', property: 'random', message: 'Randomness breaks replay.' }, { object: 'crypto', property: 'randomUUID', message: 'Use context.df.newGuid.' }],
      'no-restricted-syntax': ['error', { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'Use context.df.currentUtcDateTime.' }],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
);
