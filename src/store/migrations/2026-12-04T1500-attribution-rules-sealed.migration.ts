/**
 * Attribution rules become personal data behind the gate: the pattern (DID prefix, SIP username, IP range, trunk,
 * account code) is sealed under the account's data key (`pattern_ct`) and found by a keyed hash (`pattern_bidx`).
 *
 * A migration holds no key, so it cannot seal: it moves the clear rows aside to `attribution_rules_legacy` and
 * creates the sealed table. The first start after it (src/telecom/sealing/attribution-rules.gate.ts,
 * `sealLegacyAttributionRules`) seals every legacy row through the gate and drops the legacy table with its
 * clear `pattern` column. Frozen in time: never import application code here.
 */
import type { Kysely } from 'kysely';
import { bytesType } from './portable.ts';

export async function up(db: Kysely<any>): Promise<void> {
  const bytes = bytesType(db);
  // Index names are per schema on PostgreSQL: the old one goes before its name is reused.
  await db.schema.dropIndex('attribution_rules_kind_idx').execute();
  await db.schema.alterTable('attribution_rules').renameTo('attribution_rules_legacy').execute();
  await db.schema
    .createTable('attribution_rules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('subject_id', 'text', (c) => c.notNull().references('subjects.id'))
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    // Characters of a DID prefix, bits of an IP range, NULL for exact matches: which candidates to hash.
    .addColumn('match_length', 'integer')
    .addColumn('pattern_ct', bytes, (c) => c.notNull())
    // Written by the gate extension in the same transaction as the row (keyed BLAKE3 of kind and pattern).
    .addColumn('pattern_bidx', bytes)
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('collected_at', 'text', (c) => c.notNull())
    .addColumn('legal_basis', 'text', (c) => c.notNull())
    .addColumn('policy_version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('attribution_rules_bidx_idx')
    .on('attribution_rules')
    .column('pattern_bidx')
    .unique()
    .execute();
  await db.schema
    .createIndex('attribution_rules_account_idx')
    .on('attribution_rules')
    .column('account_id')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  // The sealed patterns cannot be opened without keys: going back loses the rules (re-add them).
  await db.schema.dropTable('attribution_rules').execute();
  await db.schema.dropTable('attribution_rules_legacy').ifExists().execute();
  await db.schema
    .createTable('attribution_rules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('pattern', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('attribution_rules_kind_idx')
    .on('attribution_rules')
    .columns(['kind', 'pattern'])
    .unique()
    .execute();
}
