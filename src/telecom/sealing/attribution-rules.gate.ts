/* eslint-disable @typescript-eslint/no-explicit-any -- the legacy table is gone from the schema types (it exists
   only between the migration and the first start after it), so it is read through Kysely's untyped view. */
/**
 * Gate extension for attribution rules: the keyed hash (`pattern_bidx`) that finds a rule without opening it.
 * The pattern itself is sealed and opened by `session.insert/find` (SEALED_TABLES.attributionRules); this file
 * writes its keyed BLAKE3 hash in the same transaction, and gives an import the rules' hashes and accounts in one
 * authorised read (one access-log entry per import, not per record).
 */
import { sql, type Kysely } from 'kysely';
import { SigiloError } from '../../errors.ts';
import type { GateSession } from '../../gate/gate.ts';
import { kernelOf } from '../../gate/gate-kernel.ts';
import type { KeyedHasher } from '../../crypto/keyed-hash.ts';
import type { AttributionRuleRow } from '../../store/tables/telecom.table.ts';
import { matchLengthOf, ruleIndexText, type IndexedRule, type RuleKind } from '../attribution/attribution.ts';

/** The policy category of a rule's pattern. */
export const NETWORK_IDENTIFIER = 'network_identifier';
const HASH_KIND = 'attribution-rule/v1';

async function hasher(session: GateSession): Promise<KeyedHasher> {
  return kernelOf(session).keyring.keyedHasher(HASH_KIND);
}

/**
 * Seals and stores a rule of `accountId` (pattern already normalised); CONFLICT when a rule of this kind and
 * pattern exists, NOT_FOUND when the account does not. Returns the rule id.
 */
export async function insertAttributionRule(
  session: GateSession,
  rule: { id?: string; kind: RuleKind; pattern: string; accountId: string; createdAt?: string },
  source = 'staff',
): Promise<string> {
  const k = kernelOf(session);
  // Authorised before anything is looked up: a refused role learns neither accounts nor rules.
  k.authorize([NETWORK_IDENTIFIER], 'write', null, 'insert');
  const account = await k.tx
    .selectFrom('accounts')
    .select(['id', 'subject_id'])
    .where('id', '=', rule.accountId)
    .executeTakeFirst();
  if (!account)
    throw new SigiloError('NOT_FOUND', 'account not found', { resource: 'account', path: 'accountId' });
  const index = (await hasher(session)).hash(ruleIndexText(rule.kind, rule.pattern));
  const id = await session.insert('attributionRules', {
    ...(rule.id ? { id: rule.id } : {}),
    subjectId: account.subject_id,
    plain: {
      kind: rule.kind,
      account_id: account.id,
      match_length: matchLengthOf(rule.kind, rule.pattern),
      ...(rule.createdAt ? { created_at: rule.createdAt } : {}),
    },
    sealed: { pattern: rule.pattern },
    source,
  });
  const taken = await k.tx
    .selectFrom('attribution_rules')
    .select('id')
    .where('pattern_bidx', '=', index)
    .executeTakeFirst();
  if (taken)
    throw new SigiloError('CONFLICT', 'an attribution rule with this kind and pattern exists', {
      path: 'pattern',
    });
  // The hash is bound by the row MAC too (a hash copied onto another account's rule would attribute there).
  const db = k.tx as unknown as Kysely<any>;
  const row = (await db
    .selectFrom('attribution_rules')
    .select(k.rowMacColumns('attribution_rules'))
    .where('id', '=', id)
    .executeTakeFirstOrThrow()) as Record<string, unknown>;
  const row_mac = await k.rowMacOf('attribution_rules', { ...row, pattern_bidx: index });
  await k.tx
    .updateTable('attribution_rules')
    .set({ pattern_bidx: index, row_mac })
    .where('id', '=', id)
    .execute();
  return id;
}

/**
 * Every rule as an import needs it (keyed hash, match length, account), in one read authorised for `read` on the
 * rules' category and logged once; no pattern is opened. With the hasher that finds them.
 */
export async function attributionIndex(
  session: GateSession,
): Promise<{ rules: IndexedRule[]; hash: (text: string) => Buffer }> {
  const k = kernelOf(session);
  const decisions = k.authorize([NETWORK_IDENTIFIER], 'read', null, 'attribution.load');
  const db = k.tx as unknown as Kysely<any>;
  const rows = (await db
    .selectFrom('attribution_rules')
    .select([
      ...new Set([
        'kind',
        'pattern_bidx',
        'match_length',
        'account_id',
        ...k.rowMacColumns('attribution_rules'),
      ]),
    ])
    .execute()) as Pick<AttributionRuleRow, 'kind' | 'pattern_bidx' | 'match_length' | 'account_id'>[];
  // The account a match attributes records to must be the one Sigilo wrote (row MAC), before any record is.
  await k.checkRowMacs('attribution_rules', NETWORK_IDENTIFIER, 'attribution.load', rows);
  const rules: IndexedRule[] = [];
  for (const r of rows) {
    if (!r.pattern_bidx) continue; // never committed without its hash; unusable if edited to NULL
    rules.push({ kind: r.kind, index: r.pattern_bidx, matchLength: r.match_length, accountId: r.account_id });
  }
  k.allowed('attribution.load', null, decisions, `${rules.length} rules`);
  const h = await hasher(session);
  return { rules, hash: (text) => h.hash(text) };
}

/**
 * Seals the rules a version before 2026-12-04 stored in clear (`attribution_rules_legacy`, left by the migration)
 * and drops that table; a no-op once done. Runs at start, in the system role (write on the rules' category,
 * masking hidden). Returns how many rules were sealed.
 */
export async function sealLegacyAttributionRules(session: GateSession): Promise<number> {
  const k = kernelOf(session);
  const db = k.tx as unknown as Kysely<any>;
  // Two instances starting at once: the second waits for the first's commit (which drops the table) before it
  // looks, instead of reading a table the first is dropping (SQLite's `begin immediate` already serialises them).
  if (k.dialect === 'postgres') {
    await sql`select pg_advisory_xact_lock(hashtext('sigilo:seal-legacy-attribution-rules'))`.execute(db);
  }
  if (!(await legacyTableExists(db, k.dialect))) return 0;
  const rows = (await db.selectFrom('attribution_rules_legacy').selectAll().execute()) as {
    id: string;
    kind: RuleKind;
    pattern: string;
    account_id: string;
    created_at: string;
  }[];
  let sealed = 0;
  for (const r of rows) {
    const done = await k.tx
      .selectFrom('attribution_rules')
      .select('id')
      .where('id', '=', r.id)
      .executeTakeFirst();
    if (done) continue;
    await insertAttributionRule(
      session,
      { id: r.id, kind: r.kind, pattern: r.pattern, accountId: r.account_id, createdAt: r.created_at },
      'migration',
    );
    sealed++;
  }
  // SQLite reuses a dropped table's pages without clearing them unless told to: the clear patterns must not stay
  // readable in free pages of the file. Only for this drop: secure deletion slows every later delete.
  if (k.dialect === 'sqlite') await sql`pragma secure_delete = on`.execute(db);
  await db.schema.dropTable('attribution_rules_legacy').ifExists().execute();
  if (k.dialect === 'sqlite') await sql`pragma secure_delete = off`.execute(db);
  return sealed;
}

/** Whether the migration's holding table is still there (in this schema: PostgreSQL tests share a database). */
async function legacyTableExists(db: Kysely<any>, dialect: string): Promise<boolean> {
  if (dialect === 'postgres') {
    const r = await sql<{
      t: string | null;
    }>`select to_regclass('attribution_rules_legacy')::text as t`.execute(db);
    return r.rows[0]?.t != null;
  }
  const r = await sql<{
    name: string;
  }>`select name from sqlite_master where type = 'table' and name = 'attribution_rules_legacy'`.execute(db);
  return r.rows.length > 0;
}
