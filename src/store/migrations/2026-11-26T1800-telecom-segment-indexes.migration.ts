/**
 * Telecom ingest without a row per record: a row per record natural key (telecom_record_keys) and per term and
 * account-day (telecom_terms) held the bulk path at a quarter of a plaintext insert. Each segment now carries its
 * records' keyed natural-key hashes (`record_keys`) and a Bloom filter of its term hashes (`term_filter`);
 * `telecom_key_groups` versions each (kind, account, day) so an ingest process can keep the keys in memory and
 * load only what other writers added (`seq` numbers a group's segments).
 * Existing keys move into their segments, marked as the HMAC scheme (byte 0 = 1) so re-imports of old days still
 * dedupe; old segments get no filter (a search opens them and checks each record). The old term rows are dropped.
 * Frozen in time: never import application code here.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { bytesType, dialectOf } from './portable.ts';

/** Scheme byte of a `record_keys` blob whose keys are HMAC-SHA-256 (the layout before this migration). */
const LEGACY_HMAC_SCHEME = 1;

export async function up(db: Kysely<any>): Promise<void> {
  const bytes = bytesType(db);
  await db.schema.alterTable('telecom_segments').addColumn('record_keys', bytes).execute();
  await db.schema.alterTable('telecom_segments').addColumn('term_filter', bytes).execute();
  await db.schema
    .alterTable('telecom_segments')
    .addColumn('seq', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createTable('telecom_key_groups')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull())
    // Replaced whenever a segment of the group is deleted: a cached key set of another epoch is stale.
    .addColumn('epoch', 'text', (c) => c.notNull())
    // Segments added in this epoch; each new segment's `seq` is the count after it was added.
    .addColumn('segments', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('telecom_key_groups_pk', ['kind', 'day', 'account_id'])
    .execute();

  const days = await db
    .selectFrom('telecom_segments')
    .select(['kind', 'day'])
    .distinct()
    .orderBy('kind')
    .orderBy('day')
    .execute();
  for (const { kind, day } of days as { kind: string; day: string }[]) {
    const keys = (await db
      .selectFrom('telecom_record_keys')
      .select(['segment_id', 'record_key'])
      .where('kind', '=', kind)
      .where('day', '=', day)
      .execute()) as { segment_id: string; record_key: Buffer }[];
    const bySegment = new Map<string, Buffer[]>();
    for (const k of keys) {
      let list = bySegment.get(k.segment_id);
      if (!list) bySegment.set(k.segment_id, (list = [Buffer.from([LEGACY_HMAC_SCHEME])]));
      list.push(Buffer.from(k.record_key));
    }
    const segments = (await db
      .selectFrom('telecom_segments')
      .select(['id', 'account_id'])
      .where('kind', '=', kind)
      .where('day', '=', day)
      .orderBy('id')
      .execute()) as { id: string; account_id: string }[];
    const seqs = new Map<string, number>();
    for (const s of segments) {
      const seq = (seqs.get(s.account_id) ?? 0) + 1;
      seqs.set(s.account_id, seq);
      await db
        .updateTable('telecom_segments')
        .set({
          seq,
          record_keys: Buffer.concat(bySegment.get(s.id) ?? [Buffer.from([LEGACY_HMAC_SCHEME])]),
        })
        .where('id', '=', s.id)
        .execute();
    }
    for (const [accountId, n] of seqs) {
      await db
        .insertInto('telecom_key_groups')
        .values({ kind, day, account_id: accountId, epoch: randomUUID(), segments: n })
        .execute();
    }
  }
  await db.schema.dropTable('telecom_terms').execute();
  await db.schema.dropTable('telecom_record_keys').execute();
}

/** Back to per-record key rows (from the legacy-scheme keys only) and an empty term table. */
export async function down(db: Kysely<any>): Promise<void> {
  const bytes = bytesType(db);
  const clustered = dialectOf(db) === 'sqlite';
  let keys = db.schema
    .createTable('telecom_record_keys')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('record_key', bytes, (c) => c.notNull())
    .addColumn('segment_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('telecom_record_keys_pk', ['kind', 'day', 'record_key']);
  let terms = db.schema
    .createTable('telecom_terms')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('term', bytes, (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('telecom_terms_pk', ['kind', 'day', 'term', 'account_id']);
  if (clustered) {
    keys = keys.modifyEnd(sql`without rowid`);
    terms = terms.modifyEnd(sql`without rowid`);
  }
  await keys.execute();
  await terms.execute();
  const segs = (await db
    .selectFrom('telecom_segments')
    .select(['id', 'kind', 'day', 'record_keys'])
    .execute()) as { id: string; kind: string; day: string; record_keys: Buffer | null }[];
  for (const s of segs) {
    const blob = s.record_keys ? Buffer.from(s.record_keys) : null;
    if (!blob || blob[0] !== LEGACY_HMAC_SCHEME) continue;
    for (let o = 1; o + 16 <= blob.length; o += 16) {
      await db
        .insertInto('telecom_record_keys')
        .values({ kind: s.kind, day: s.day, record_key: blob.subarray(o, o + 16), segment_id: s.id })
        .execute();
    }
  }
  await db.schema.dropTable('telecom_key_groups').execute();
  for (const c of ['seq', 'term_filter', 'record_keys'])
    await db.schema.alterTable('telecom_segments').dropColumn(c).execute();
}
