// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Lint rules: the recommended sets of ESLint and typescript-eslint; formatting is prettier's job. */
export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'console/dist/', 'data/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // Unused bindings are dead code; a leading underscore marks a deliberately ignored parameter.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Snowline matches control characters on purpose: it refuses them in file names, YAML and headers.
      'no-control-regex': 'off',
    },
  },
  {
    // All SQL lives in src/store/ repositories (docs/architecture.md): elsewhere, no kysely and no
    // query building; a caller passes the transaction it got from inTransaction to repository methods.
    files: ['src/**/*.ts', 'connectors/**/*.ts'],
    ignores: ['src/store/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'kysely', message: 'SQL belongs in a src/store/ repository; import its types from src/store.' },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector:
            'CallExpression[callee.property.name=/^(selectFrom|insertInto|updateTable|deleteFrom|replaceInto|mergeInto|transaction)$/]',
          message: 'SQL belongs in a src/store/ repository (transactions: inTransaction from src/store).',
        },
        {
          selector: "TaggedTemplateExpression[tag.name='sql']",
          message: 'SQL belongs in a src/store/ repository.',
        },
      ],
    },
  },
  {
    // Kysely's documented migration pattern: a migration must not depend on today's table types
    // (https://kysely.dev/docs/migrations).
    files: ['src/store/migrations/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Tests read raw JSON answers and poke at internals on purpose.
    files: ['test/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        __dirname: 'readonly',
        console: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Scripts that run inside ServiceNow (Rhino): the platform supplies these globals.
    files: ['connectors/servicenow/instance/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: Object.fromEntries(
        [
          'gs',
          'current',
          'previous',
          'action',
          'sn_ws',
          'GlideDateTime',
          'GlideCertificateEncryption',
          'GlideScriptRecordUtil',
        ].map((name) => [name, 'readonly']),
      ),
    },
    rules: { '@typescript-eslint/no-unused-vars': ['error', { args: 'none', caughtErrors: 'none' }] },
  },
);
