// Lint keeps workflows deterministic: no I/O modules and no value imports of activities in src/workflows.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { builtinModules } from 'node:module';

const nodeBuiltins = builtinModules.flatMap((m) => [m, `node:${m}`]).filter((m) => !['assert', 'url', 'util'].includes(m));

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      '.data/',
      'coverage/',
      'eslint.config.mjs',
      'jest.config.js',
      // Loaded by jest as plain CommonJS, like its config (no type-aware project for it).
      'test/support/sequencer.js',
      '.scratch-*/',
      'samples/',
      // Generated from the pinned Pipedrive specs by packages/pipedrive-spec/scripts/gen-pipedrive-types.ts.
      'packages/pipedrive-spec/generated/',
      // Generated from the store's migrations by scripts/gen-store-types.ts.
      'src/store/generated/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true, allowNullish: true }],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      'no-console': 'off',
    },
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.map((name) => ({ name, message: 'Workflows are deterministic: no Node I/O modules.' })),
            ...[
              'pg',
              'axios',
              'express',
              'pino',
              'exceljs',
              'csv-parse',
              'csv-stringify',
              'form-data',
              'iconv-lite',
              'luxon',
              '@faker-js/faker',
              '@temporalio/activity',
              '@temporalio/client',
              '@temporalio/worker',
              '@temporalio/testing',
            ].map((name) => ({
              name,
              message: 'Workflows only orchestrate: I/O and heavy libraries belong in activities.',
            })),
          ],
          patterns: [
            // Anything outside src/workflows (activities, config, store, adapters, logging) may pull in I/O
            // transitively, so only its types may cross into workflow code.
            {
              group: ['../*', '../**'],
              allowTypeImports: true,
              message: 'Workflows import code from outside src/workflows with `import type` only (activities, config and adapters carry I/O).',
            },
          ],
        },
      ],
    },
  },
  {
    // The write engine sits under the activities (they are its thin adapters): it never reaches back up into them.
    files: ['src/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../activities', '../activities/*'],
              message: 'The engine is below the activities: shared pieces live in src/failures.ts, workflows/messages.ts or engine/ports.ts.',
            },
          ],
        },
      ],
    },
  },
  {
    // The liveness ticks repeat the details an activity sent last: only what goes through heartbeat() is seen, and a
    // tick after a direct call would send older details (a batch's checkpoint going back).
    files: ['src/**/*.ts'],
    ignores: ['src/activities/heartbeat.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.type='MemberExpression'][callee.property.name='heartbeat']",
          message: 'Send heartbeats with heartbeat() from src/activities/heartbeat.ts, so the liveness ticks repeat the latest details.',
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/unbound-method': 'off' },
  },
  {
    // The CLI's executable shim and the spec package's runtime (run as they are, no build): plain CommonJS, outside
    // the TypeScript project.
    files: ['bin/**/*.js', 'packages/pipedrive-spec/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, sourceType: 'commonjs', globals: { ...globals.node } },
    rules: { ...tseslint.configs.disableTypeChecked.rules, '@typescript-eslint/no-require-imports': 'off' },
  },
);
