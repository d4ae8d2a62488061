// `make lint`: typescript-eslint's recommended type-checked rules over the whole tree, with the
// exceptions below (each says why).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['shared/gen/**', 'dist/**', 'node_modules/**', 'scripts/tools/**', '**/*.mjs', 'cli/bin.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // node:test's describe/it/before return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'before', 'after', 'beforeEach', 'afterEach', 'test'] }] },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // An async method is how a port's implementation returns a promise (and turns a throw into a
      // rejection) even when it has nothing to await.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Tests and benchmarks read JSON and YAML they did not type (CLI output, manifests, query rows)
    // and print it; the checks that matter there are the assertions.
    files: ['test/**', 'bench/**'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-base-to-string': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
      '@typescript-eslint/restrict-plus-operands': 'off',
      '@typescript-eslint/no-unsafe-enum-comparison': 'off',
    },
  },
  {
    // The manifests are untyped YAML; the test validates them with Knative's and Kubernetes' schemas.
    files: ['test/deploy/manifests.test.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // unary(client, client.method, request) binds the method to its client (cli/client.ts): the
    // generated grpc-js client methods are passed unbound on purpose.
    files: ['cli/**', 'test/**', 'bench/**'],
    rules: { '@typescript-eslint/unbound-method': 'off' },
  },
);
