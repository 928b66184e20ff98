// ESLint flat config: @eslint/js + typescript-eslint + eslint-plugin-svelte recommended rules
// (the TypeScript parser inside `<script lang="ts">`), Node globals for the headless code, CLI
// and Electron main, browser globals for the renderer. Unused names starting with `_` are allowed.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';

const unusedUnderscore = {
  args: 'all',
  argsIgnorePattern: '^_',
  varsIgnorePattern: '^_',
  caughtErrorsIgnorePattern: '^_',
  destructuredArrayIgnorePattern: '^_',
  ignoreRestSiblings: true,
};

export default defineConfig(
  globalIgnores(['out/', 'dist/', 'node_modules/', 'test-artifacts/', '**/*.d.ts.map']),
  js.configs.recommended,
  ts.configs.recommended,
  svelte.configs.recommended,
  {
    files: ['**/*.{js,mjs,cjs,ts,mts,cts,svelte}'],
    languageOptions: {
      parserOptions: { extraFileExtensions: ['.svelte'] },
    },
    rules: {
      'no-unused-vars': 'off',
      '@typescript-eslint/no-unused-vars': ['error', unusedUnderscore],
    },
  },
  {
    files: ['{app,main,pruning,export,test,bench,tools,bin}/**/*.{js,mjs,cjs,ts,mts,cts}', '*.{js,mjs,cjs,ts}'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['renderer/**/*.{js,ts,svelte}', '**/*.svelte', '**/*.svelte.{js,ts}'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.{js,ts}'],
    languageOptions: { parserOptions: { parser: ts.parser } },
  },
);
