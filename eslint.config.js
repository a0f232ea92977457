import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const NODE_BUILTINS = ['assert', 'buffer', 'child_process', 'crypto', 'events', 'fs', 'fs/promises', 'http', 'https', 'net', 'os', 'path', 'process', 'stream', 'url', 'util', 'worker_threads', 'zlib'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**', 'scratch/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', globalThis: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'off',
    },
  },
  {
    // The engine runs in the browser too: no NestJS, no TypeORM, no database driver, no Node built-ins.
    files: ['engine/**/*.ts'],
    ignores: ['engine/**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: NODE_BUILTINS.map((name) => ({ name, message: 'engine/ must stay free of Node-only code.' })),
          patterns: [
            { group: ['@nestjs/*', 'typeorm', 'typeorm/*', 'pg', 'pg-*', 'express', 'node:*'], message: 'engine/ must stay free of server and Node-only code.' },
            { group: ['**/modules/**'], message: 'engine/ depends on nothing of ours outside engine/.' },
          ],
        },
      ],
    },
  },
  {
    // Modules reach the engine only through its public surface (specs may use its test factories, engine/testing).
    files: ['modules/**/*.ts', 'test/**/*.ts', 'benchmarks/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/engine/*/**', '**/engine/*.js', '!**/engine/index.js', '!**/engine/testing/**'], message: 'Import the engine through engine/index.ts.' }] }],
    },
  },
  {
    // …and only specs use those factories.
    files: ['modules/**/*.ts', 'benchmarks/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/engine/*/**', '**/engine/*.js', '!**/engine/index.js'], message: 'Import the engine through engine/index.ts.' }] }],
    },
  },
);
