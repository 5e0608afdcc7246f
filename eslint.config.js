// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

const TESTS = ['**/*.test.ts'];
/** The kernel and its sealing extensions: the only code that may see sealed columns and the kernel. */
const KERNEL = ['src/gate/**', 'src/*/sealing/**'];
/** Who may use the crypto modules and the key ring. */
const KEY_LAYER = [...KERNEL, 'src/keys/**', 'src/crypto/**', 'src/app.ts'];
/** Who may use store.db: the store, the composition root, the key layer, and the owners of plain tables. */
const STORE_DB_OWNERS = [
  ...KEY_LAYER,
  'src/store/**',
  // The access log owns its tables: the writer initialises its epoch and checks the head it signs.
  'src/access-log/**',
  'src/http/route-services.ts',
  'src/publication/policy-publication.service.ts',
  'src/tokens/staff-token.service.ts',
  'src/telecom/ingest/record-ingest.service.ts',
  'src/cli/preflight.ts',
  'src/cli/commands/init.command.ts',
  'src/cli/commands/attribution.command.ts',
  // The retention module owns its run, lock and hold tables (retention-run/-lock repositories, legal holds).
  'src/retention/**',
];

const NO_TEST_IMPORTS = {
  selector:
    'ImportDeclaration[source.value=/(^|\\/)(test|bench)\\//], ImportExpression[source.value=/(^|\\/)(test|bench)\\//]',
  message: 'src/ never imports from test/ or bench/.',
};
const NO_STORE_DB = [
  {
    selector: "MemberExpression[property.name='db'][object.name='store']",
    message: "store.db is the store layer's: use a service, a repository given a transaction, or the gate.",
  },
  {
    selector: "MemberExpression[property.name='db'][object.property.name='store']",
    message: "store.db is the store layer's: use a service, a repository given a transaction, or the gate.",
  },
];

/** Access rules live in the policy (src/policy): no hand-written role list or literal role comparison elsewhere. */
const ROLE_RULE_MESSAGE =
  "Who may do what is the policy's: declare a duty (src/policy DUTIES, dutyGrants) and ask evaluate/requireDuty, " +
  'or give the route config a `duty`.';
const EQUALITY = 'BinaryExpression[operator=/^[!=]==?$/]';
const NO_ROLE_CHECKS = [
  { selector: 'VariableDeclarator[id.name=/_ROLES?$/]', message: ROLE_RULE_MESSAGE },
  {
    selector: [
      `${EQUALITY}[left.property.name='role'][right.type='Literal']`,
      `${EQUALITY}[right.property.name='role'][left.type='Literal']`,
      `${EQUALITY}[left.name='role'][right.type='Literal']`,
      `${EQUALITY}[right.name='role'][left.type='Literal']`,
      `${EQUALITY}[left.property.name='role'][right.name=/_ROLES?$/]`,
      `${EQUALITY}[right.property.name='role'][left.name=/_ROLES?$/]`,
    ].join(', '),
    message: ROLE_RULE_MESSAGE,
  },
  {
    selector: [
      "CallExpression[callee.property.name=/^(includes|has|indexOf)$/][arguments.0.property.name='role']",
      "CallExpression[callee.property.name=/^(includes|has|indexOf)$/][arguments.0.name='role']",
      "SwitchStatement[discriminant.property.name='role']",
      "SwitchStatement[discriminant.name='role']",
    ].join(', '),
    message: ROLE_RULE_MESSAGE,
  },
  {
    selector:
      "Property[key.name='roles'][value.type='ArrayExpression'], Property[key.name='config'] > ObjectExpression > Property[key.name='roles']",
    message: ROLE_RULE_MESSAGE,
  },
];
const POLICY = ['src/policy/**'];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'data/', 'coverage/', 'bench/results/', 'bin/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
    },
  },
  // ---- The layers, enforced (src/lint-rules.test.ts proves each rule fires) --------------------------------
  // Options of one rule do not merge across config objects (the last matching object wins), so each concern
  // uses its own rule: no-restricted-imports (cipher and key ring), @typescript-eslint/no-restricted-imports
  // (kernel internals) and no-restricted-syntax (store.db, and src/ importing test/ or bench/).
  {
    // Only the gate kernel, its sealing extensions (src/*/sealing) and the key ring seal, open or hold keys.
    files: ['src/**/*.ts'],
    ignores: [...KEY_LAYER, ...TESTS],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/crypto/*', '!**/crypto/random*', '!**/crypto/signing*', '!**/crypto/keyed-hash*'],
              message:
                'Only the gate kernel, its sealing extensions and the key ring use the crypto modules.',
            },
            {
              // Random tokens (staff tokens), checking a published signature and a hash's size need no key.
              group: ['**/crypto/random*', '**/crypto/signing*', '**/crypto/keyed-hash*'],
              allowImportNames: ['randomToken', 'verifyEd25519', 'KEYED_HASH_BYTES'],
              message:
                'Outside the key layer only randomToken, verifyEd25519 and KEYED_HASH_BYTES may be imported.',
            },
            {
              group: ['**/keys/keyring*', '**/keys/data-key.repository*'],
              message: 'Only the gate kernel and its sealing extensions use the key ring.',
            },
            {
              // The sealed view names ciphertext columns: it is the kernel's and the key ring's (see PlainDatabase).
              group: ['**/store/store*'],
              importNames: ['sealedView', 'KernelTx', 'KernelDb'],
              message:
                'The sealed view of the database is for the gate kernel, its sealing extensions and the key ring.',
            },
          ],
        },
      ],
    },
  },
  {
    // kernelOf, the sealed-table specs and the field cipher belong to the kernel and its sealing extensions.
    files: ['src/**/*.ts'],
    ignores: KERNEL,
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/gate/gate-kernel*'],
              message:
                'kernelOf is for the sealing extensions (src/*/sealing); services use the GateSession.',
            },
            {
              group: ['**/gate/sealed-*', '**/gate/field-sealing*', '**/gate/access-decisions*'],
              message: 'Personal-data tables are reached only through the gate.',
            },
          ],
        },
      ],
    },
  },
  {
    // src/ is the product: it never imports the test support or the benchmarks; and every access rule is the
    // policy's, so outside src/policy no role list (`*_ROLES`, a route `roles` option) and no comparison of a role
    // with a literal, `includes`/`has`/`indexOf(role)` or `switch (role)` is allowed (a role-keyed lookup object is
    // not caught: review it).
    files: ['src/**/*.ts'],
    ignores: [...TESTS, ...POLICY],
    rules: { 'no-restricted-syntax': ['error', NO_TEST_IMPORTS, ...NO_ROLE_CHECKS] },
  },
  {
    // store.db (the database outside any gate transaction) belongs to the store layer and the few parts that
    // own a table of their own; routes, services and commands get a service or a session instead.
    files: ['src/**/*.ts'],
    ignores: [...TESTS, ...STORE_DB_OWNERS, ...POLICY],
    rules: { 'no-restricted-syntax': ['error', NO_TEST_IMPORTS, ...NO_STORE_DB, ...NO_ROLE_CHECKS] },
  },
  {
    // The policy module is where roles are named; the other rules hold there as everywhere.
    files: ['src/policy/**/*.ts'],
    ignores: [...TESTS],
    rules: { 'no-restricted-syntax': ['error', NO_TEST_IMPORTS, ...NO_STORE_DB] },
  },
  {
    // Migrations are frozen in time and typed against Kysely<any> on purpose (Kysely's own convention).
    files: ['src/store/migrations/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.test.ts', 'test/**', 'bench/**'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off', '@typescript-eslint/require-await': 'off' },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  prettier,
);
