/**
 * The layer rules of eslint.config.js fire: each forbidden snippet is reported where it is forbidden and passes
 * where it belongs. Linted with the project's own configuration, without type information (the rules are syntactic).
 */
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({
  cwd: new URL('..', import.meta.url).pathname,
  overrideConfig: [tseslint.configs.disableTypeChecked],
});

/** The layer-rule messages ESLint reports for `code` as if it were the file at `filePath`. */
async function layerErrors(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? [])
    .filter((m) =>
      ['no-restricted-imports', '@typescript-eslint/no-restricted-imports', 'no-restricted-syntax'].includes(
        m.ruleId ?? '',
      ),
    )
    .map((m) => `${m.ruleId}: ${m.message}`);
}

const KERNEL_IMPORT = "import { kernelOf } from '../gate/gate-kernel.ts';\nexport const k = kernelOf;\n";
const SPEC_IMPORT =
  "import { SEALED_TABLES } from '../gate/sealed-tables.ts';\nexport const t = SEALED_TABLES;\n";
const STORE_DB = 'export const q = (deps: any) => deps.store.db.selectFrom("people");\n';
const BARE_STORE_DB = 'export const q = (store: any) => store.db;\n';
const AEAD_IMPORT = "import { seal } from '../crypto/aead.ts';\nexport const s = seal;\n";
const KEYRING_IMPORT = "import type { Keyring } from '../keys/keyring.ts';\nexport type K = Keyring;\n";
const TEST_IMPORT = "import { ctx } from '../../test/support/sigilo.ts';\nexport const c = ctx;\n";
const BENCH_IMPORT = "export const load = () => import('../../bench/run.ts');\n";

describe('layer lint rules', () => {
  it('kernelOf is reported outside the kernel and its sealing extensions, and allowed inside them', async () => {
    expect(await layerErrors(KERNEL_IMPORT, 'src/services/x.service.ts')).toEqual([
      expect.stringMatching(/^@typescript-eslint\/no-restricted-imports: .*kernelOf is for the sealing/),
    ]);
    expect(await layerErrors(KERNEL_IMPORT, 'src/http/routes/x/x.routes.ts')).toHaveLength(1);
    expect(await layerErrors(KERNEL_IMPORT, 'src/telecom/sealing/x.gate.ts')).toEqual([]);
    expect(await layerErrors(KERNEL_IMPORT, 'src/gate/x.ts')).toEqual([]);
  });

  it('the sealed-table specs are reported outside the kernel', async () => {
    expect(await layerErrors(SPEC_IMPORT, 'src/retention/x.ts')).toEqual([
      expect.stringMatching(/Personal-data tables are reached only through the gate/),
    ]);
    expect(await layerErrors(SPEC_IMPORT, 'src/gate/x.ts')).toEqual([]);
  });

  it('store.db is reported in services and routes, and allowed in the store layer', async () => {
    expect(await layerErrors(STORE_DB, 'src/services/x.service.ts')).toEqual([
      expect.stringMatching(/^no-restricted-syntax: store\.db is the store layer's/),
    ]);
    expect(await layerErrors(BARE_STORE_DB, 'src/http/routes/x/x.routes.ts')).toEqual([
      expect.stringMatching(/^no-restricted-syntax: store\.db/),
    ]);
    expect(await layerErrors(STORE_DB, 'src/store/x.ts')).toEqual([]);
    expect(await layerErrors(STORE_DB, 'src/http/route-services.ts')).toEqual([]);
    // A session's transaction is not the store's database.
    expect(
      await layerErrors('export const q = (s: any) => s.tx.selectFrom("people");\n', 'src/services/x.ts'),
    ).toEqual([]);
  });

  it('the crypto modules and the key ring are reported outside the key layer', async () => {
    expect(await layerErrors(AEAD_IMPORT, 'src/services/x.service.ts')).toEqual([
      expect.stringMatching(/^no-restricted-imports: .*crypto modules/),
    ]);
    expect(await layerErrors(KEYRING_IMPORT, 'src/services/x.service.ts')).toEqual([
      expect.stringMatching(/^no-restricted-imports: .*key ring/),
    ]);
    expect(await layerErrors(AEAD_IMPORT, 'src/keys/x.ts')).toEqual([]);
    expect(await layerErrors(AEAD_IMPORT, 'src/recordings/sealing/x.ts')).toEqual([]);
    expect(await layerErrors(KEYRING_IMPORT, 'src/gate/x.ts')).toEqual([]);
  });

  it('the sealed view of the database is reported outside the kernel and the key ring', async () => {
    const view = "import { sealedView } from '../store/store.ts';\nexport const v = sealedView;\n";
    const plain = "import type { Tx } from '../store/store.ts';\nexport type T = Tx;\n";
    expect(await layerErrors(view, 'src/services/x.service.ts')).toEqual([
      expect.stringMatching(/^no-restricted-imports: .*sealed view of the database/),
    ]);
    expect(await layerErrors(plain, 'src/services/x.service.ts')).toEqual([]);
    expect(await layerErrors(view, 'src/keys/x.ts')).toEqual([]);
    expect(await layerErrors(view, 'src/telecom/sealing/x.ts')).toEqual([]);
  });

  it('outside the key layer only the keyless crypto helpers may be imported', async () => {
    const token = "import { randomToken } from '../crypto/random.ts';\nexport const t = randomToken;\n";
    const bytes = "import { randomBytes } from '../crypto/random.ts';\nexport const b = randomBytes;\n";
    const sign = "import { signEd25519 } from '../crypto/signing.ts';\nexport const s = signEd25519;\n";
    expect(await layerErrors(token, 'src/tokens/x.ts')).toEqual([]);
    expect(await layerErrors(bytes, 'src/tokens/x.ts')).toEqual([
      expect.stringMatching(/randomToken, verifyEd25519/),
    ]);
    expect(await layerErrors(sign, 'src/services/x.ts')).toEqual([
      expect.stringMatching(/randomToken, verifyEd25519/),
    ]);
  });

  it('src/ importing test/ or bench/ is reported, and allowed in test files', async () => {
    expect(await layerErrors(TEST_IMPORT, 'src/http/x.ts')).toEqual([
      expect.stringMatching(/^no-restricted-syntax: src\/ never imports from test\/ or bench\//),
    ]);
    expect(await layerErrors(BENCH_IMPORT, 'src/telecom/x.ts')).toEqual([
      expect.stringMatching(/never imports from test\/ or bench\//),
    ]);
    // Both rules of the store.db zone are kept where both apply.
    expect(await layerErrors(TEST_IMPORT + STORE_DB, 'src/services/x.ts')).toHaveLength(2);
    expect(await layerErrors(TEST_IMPORT, 'src/http/x.test.ts')).toEqual([]);
    expect(await layerErrors(TEST_IMPORT, 'src/store/x.ts')).toEqual([
      expect.stringMatching(/never imports/),
    ]);
  });

  it('a role list or a literal role comparison is reported outside src/policy, and allowed inside it', async () => {
    const role = /^no-restricted-syntax: Who may do what is the policy's/;
    const forbidden = [
      "export const HOLD_READ_ROLES: readonly string[] = ['legal', 'dpo', 'auditor'];\n",
      "export const APPROVER_ROLE = 'dpo';\n",
      "export const f = (s: { ctx: { role: string } }) => s.ctx.role !== 'subject_portal';\n",
      "export const f = (role: string) => 'dpo' === role;\n",
      'export const f = (by: { role: string }, APPROVER_ROLE: string) => by.role === APPROVER_ROLE;\n',
      'export const f = (roles: string[], ctx: { role: string }) => roles.includes(ctx.role);\n',
      'export const f = (roles: Set<string>, role: string) => roles.has(role);\n',
      "export const f = (ctx: { role: string }) => {\n  switch (ctx.role) {\n    case 'dpo':\n      return 1;\n  }\n  return 0;\n};\n",
      "export const opts = { config: { roles: ['dpo'] } };\n",
      'declare const LIST: string[];\nexport const opts = { config: { roles: LIST } };\n',
    ];
    for (const code of forbidden) {
      expect(await layerErrors(code, 'src/retention/x.ts'), code).toEqual([expect.stringMatching(role)]);
      expect(await layerErrors(code, 'src/http/routes/x/x.routes.ts'), code).toEqual([
        expect.stringMatching(role),
      ]);
      expect(await layerErrors(code, 'src/policy/x.ts'), code).toEqual([]);
      expect(await layerErrors(code, 'src/retention/x.test.ts'), code).toEqual([]);
    }
    // Setting a context's role, checking a type, an issuance or a route's duty decides nothing by hand.
    const allowed = [
      "export const ctx = { actor: 'sweep', role: 'system', purpose: 'legal_obligation' };\n",
      "export const f = (role: unknown) => typeof role !== 'string';\n",
      "export const f = (issuance: string) => issuance === 'admin';\n",
      "export const opts = { config: { duty: 'legal_hold.read' } };\n",
      'export const f = (roles: { id: string }[], e: { role: string }) => roles.find((r) => r.id === e.role);\n',
    ];
    for (const code of allowed) expect(await layerErrors(code, 'src/retention/x.ts'), code).toEqual([]);
    // Both no-restricted-syntax zones keep the rule (with and without store.db).
    expect(await layerErrors(forbidden[0]! + STORE_DB, 'src/services/x.ts')).toHaveLength(2);
    expect(await layerErrors(STORE_DB, 'src/policy/x.ts')).toHaveLength(1);
  });
});
