/* eslint-disable @typescript-eslint/no-explicit-any -- the clear columns are gone from the schema types (they
   exist only between a migration and the first start after it), so they are read through Kysely's untyped view. */
/**
 * The second half of the migrations that seal a column a migration cannot seal (it holds no key): at start, every
 * row whose clear column a migration left is sealed through the kernel under its subject's key, logged (one entry
 * per subject, role `system`, operation `seal_legacy`), and the clear column is dropped in the same transaction.
 * A no-op once done. Staff free text of legal holds and of request histories is sealed the same way, with the
 * plain columns its associated data binds (`BOUND_LEGACY`).
 */
import { sql, type Kysely } from 'kysely';
import type { GateSession } from './gate.ts';
import { kernelOf } from './gate-kernel.ts';
import { sealField } from './sealed-field.cipher.ts';
import { SEALED_TABLES } from './sealed-tables.ts';
import { bindingOf, boundFieldAddress, sealStaffText, type BoundTextTable } from './staff-text.cipher.ts';

/** A clear column a migration left beside its sealed replacement. */
interface LegacyColumn {
  table: 'credentials' | 'staff_tokens';
  clear: string;
  sealed: string;
  /**
   * Under the row's subject key, with the policy category of each row (by its `kind`, the table's views); or
   * under the staff-text key (no subject: src/gate/staff-text.cipher.ts).
   */
  key: { categoryOf: (row: Record<string, unknown>) => string } | 'staff-text';
}

const LEGACY: LegacyColumn[] = [
  {
    table: 'credentials',
    clear: 'label',
    sealed: 'label_ct',
    key: {
      categoryOf: (row) =>
        row.kind === 'provisioning_secret'
          ? SEALED_TABLES.provisioningSecrets.fields.label.category
          : SEALED_TABLES.mfaSecrets.fields.label.category,
    },
  },
  { table: 'staff_tokens', clear: 'label', sealed: 'label_ct', key: 'staff-text' },
];

/**
 * Clear columns of the tables whose staff text binds plain columns (src/gate/staff-text.cipher.ts): under the
 * staff-text key, or under the subject key of the row's authority request.
 */
interface BoundLegacyColumn {
  table: BoundTextTable;
  clear: string;
  sealed: string;
  key: 'staff-text' | 'authority-request';
}

const BOUND_LEGACY: BoundLegacyColumn[] = [
  { table: 'legal_holds', clear: 'reason', sealed: 'reason_ct', key: 'staff-text' },
  { table: 'legal_holds', clear: 'release_reason', sealed: 'release_reason_ct', key: 'staff-text' },
  {
    table: 'legal_holds',
    clear: 'authority_request_ref',
    sealed: 'authority_request_ref_ct',
    key: 'staff-text',
  },
  { table: 'legal_holds', clear: 'court_request_ref', sealed: 'court_request_ref_ct', key: 'staff-text' },
  { table: 'legal_hold_events', clear: 'details', sealed: 'details_ct', key: 'staff-text' },
  { table: 'subject_request_events', clear: 'details', sealed: 'details_ct', key: 'staff-text' },
  { table: 'authority_request_events', clear: 'details', sealed: 'details_ct', key: 'authority-request' },
];

/** Seals what migrations left in clear (see the file comment); returns how many values were sealed. */
export async function sealLegacyColumns(session: GateSession): Promise<number> {
  const k = kernelOf(session);
  const db = k.tx as unknown as Kysely<any>;
  let n = await sealBoundLegacyColumns(session);
  for (const c of LEGACY) {
    if (!(await hasColumn(db, k.dialect, c.table, c.clear))) continue;
    const bySubject = new Map<string, Set<string>>();
    if (c.key === 'staff-text') {
      const rows = (await db
        .selectFrom(c.table)
        .select(['id', c.clear])
        .where(c.sealed, 'is', null)
        .execute()) as Record<string, unknown>[];
      for (const row of rows) {
        const id = row.id as string;
        const ct = sealStaffText(k.keyring, c.table, id, c.sealed, String(row[c.clear]));
        await db
          .updateTable(c.table)
          .set({ [c.sealed]: ct })
          .where('id', '=', id)
          .execute();
        n++;
      }
      if (rows.length > 0) k.allowed('seal_legacy', null, new Map(), `${c.table}.${c.clear}: ${rows.length}`);
    }
    const categoryOf = c.key === 'staff-text' ? null : c.key.categoryOf;
    const rows = categoryOf
      ? ((await db
          .selectFrom(c.table)
          .select(['id', 'subject_id', 'kind', c.clear])
          .where(c.sealed, 'is', null)
          .execute()) as Record<string, unknown>[])
      : [];
    for (const row of rows) {
      const subjectId = row.subject_id as string;
      const dek = await k.currentDataKey(subjectId);
      const address = { table: c.table, rowId: row.id as string, column: c.sealed, subjectId };
      const ct = sealField(dek.key, dek.version, address, Buffer.from(String(row[c.clear]), 'utf8'));
      await db
        .updateTable(c.table)
        .set({ [c.sealed]: ct })
        .where('id', '=', row.id)
        .execute();
      const cats = bySubject.get(subjectId) ?? new Set<string>();
      cats.add(categoryOf!(row));
      bySubject.set(subjectId, cats);
      n++;
    }
    for (const [subjectId, cats] of bySubject) {
      // The kernel's own upkeep, not an access a grant decides: nothing is shown to anyone.
      const decisions = new Map(
        [...cats].map((cat) => [cat, { masking: 'hidden' as const, legalBasis: 'LGPD Art. 46' }]),
      );
      k.allowed('seal_legacy', subjectId, decisions, `${c.table}.${c.clear}`);
    }
    if (k.dialect === 'sqlite') await sql`pragma secure_delete = on`.execute(db);
    await db.schema.alterTable(c.table).dropColumn(c.clear).execute();
    if (k.dialect === 'sqlite') await sql`pragma secure_delete = off`.execute(db);
  }
  return n;
}

async function hasColumn(db: Kysely<any>, dialect: string, table: string, column: string): Promise<boolean> {
  const r =
    dialect === 'postgres'
      ? await sql`select 1 from information_schema.columns
          where table_schema = current_schema() and table_name = ${table} and column_name = ${column}`.execute(
          db,
        )
      : await sql`select 1 from pragma_table_info(${table}) where name = ${column}`.execute(db);
  return r.rows.length > 0;
}

/** The clear columns of `BOUND_LEGACY`: each non-null value sealed with its row's binding, then the column dropped. */
async function sealBoundLegacyColumns(session: GateSession): Promise<number> {
  const k = kernelOf(session);
  const db = k.tx as unknown as Kysely<any>;
  let n = 0;
  for (const c of BOUND_LEGACY) {
    if (!(await hasColumn(db, k.dialect, c.table, c.clear))) continue;
    const rows = (await db
      .selectFrom(c.table)
      .selectAll()
      .where(c.sealed, 'is', null)
      .where(c.clear, 'is not', null)
      .execute()) as Record<string, unknown>[];
    const subjects = new Set<string>();
    for (const row of rows) {
      const id = String(row.id);
      const text = String(row[c.clear]);
      let ct: Buffer;
      if (c.key === 'staff-text') {
        ct = sealStaffText(k.keyring, c.table, id, c.sealed, text, bindingOf(c.table, row));
      } else {
        const owner: { subject_id: string } = await db
          .selectFrom('authority_requests')
          .select('subject_id')
          .where('id', '=', row.request_id)
          .executeTakeFirstOrThrow();
        const subjectId = owner.subject_id;
        const dek = await k.currentDataKey(subjectId);
        const address = boundFieldAddress(c.table, row, c.sealed, subjectId);
        ct = sealField(dek.key, dek.version, address, Buffer.from(text, 'utf8'));
        subjects.add(subjectId);
      }
      await db
        .updateTable(c.table)
        .set({ [c.sealed]: ct })
        .where('id', '=', id)
        .execute();
      n++;
    }
    if (c.key === 'staff-text' && rows.length > 0) {
      k.allowed('seal_legacy', null, new Map(), `${c.table}.${c.clear}: ${rows.length}`);
    }
    for (const subjectId of subjects) {
      const decisions = new Map([
        [
          SEALED_TABLES.authorityRequests.category,
          { masking: 'hidden' as const, legalBasis: 'LGPD Art. 46' },
        ],
      ]);
      k.allowed('seal_legacy', subjectId, decisions, `${c.table}.${c.clear}`);
    }
    if (k.dialect === 'sqlite') await sql`pragma secure_delete = on`.execute(db);
    await db.schema.alterTable(c.table).dropColumn(c.clear).execute();
    if (k.dialect === 'sqlite') await sql`pragma secure_delete = off`.execute(db);
  }
  return n;
}
