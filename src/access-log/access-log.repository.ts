import { CompiledQuery, sql } from 'kysely';
import { runShaped } from '../store/compiled-shapes.ts';
import type { AccessLogRow } from '../store/tables/access-log.table.ts';
import type { Db, StoreDialect, Tx } from '../store/store.ts';
import {
  GENESIS_HASH,
  LINK_V1,
  LINK_V2,
  type AccessLogEntry,
  type ChainedEntry,
} from './access-log.entry.ts';
import { rawRangeSql, type RawEntryRow } from './access-log.row-reader.ts';

/** Computes an entry's link from the previous one (the writer's keyed MAC). */
export type LinkFn = (prevHash: Buffer, seq: number, e: AccessLogEntry) => Buffer;

/** A stored checkpoint; `every` and `epoch` are null for v1 checkpoints (signed before the keyed log). */
export interface Checkpoint {
  seq: number;
  hash: Buffer;
  signedAt: string;
  signature: Buffer;
  publicKey: Buffer;
  every: number | null;
  epoch: number | null;
}

/** Append and read only: there is deliberately no update or delete here. */
export class AccessLogRepository {
  constructor(private readonly dialect: StoreDialect) {}

  /**
   * The head this process last appended at. Only a hint: the head row is advanced from it only when it still holds
   * exactly this seq and hash (after another instance's append or a rolled-back one of ours, the entries are
   * linked from the row as it is), so a stale hint costs one statement and never forks the chain.
   */
  private known: { seq: number; hash: Buffer } | null = null;

  /**
   * Appends entries at the chain head inside `tx`, serialised by a lock on the head row (PostgreSQL instances
   * never fork the chain), each linked by `link` under log-key version `keyVersion`. One UPDATE both claims the
   * head and moves it when it is where this process left it; when it is not, that UPDATE has returned the row as
   * it is (and locked it), and the entries are linked from there: never more statements than a locked read.
   */
  async append(
    tx: Tx,
    entries: AccessLogEntry[],
    keyVersion: number,
    link: LinkFn,
    linkFormat: number = LINK_V1,
  ): Promise<ChainedEntry[]> {
    if (entries.length === 0) return [];
    const chain = (from: { seq: number; hash: Buffer }): ChainedEntry[] => {
      let head = from;
      const out: ChainedEntry[] = [];
      for (const e of entries) {
        const seq = head.seq + 1;
        const hash = link(head.hash, seq, e);
        out.push({ ...e, seq, prevHash: head.hash, hash, keyVersion, linkFormat });
        head = { seq, hash };
      }
      return out;
    };
    const known = this.known;
    let out: ChainedEntry[] | null = null;
    let head: { seq: number; hash: Buffer } | null = null;
    if (known) {
      // Moves the head only if it still is where this process left it, and either way returns the row as it now
      // is, locked (PostgreSQL: the row lock, the condition re-checked after a concurrent writer commits).
      const guess = chain(known);
      const last = guess.at(-1)!;
      if (this.dialect === 'postgres' && guess.length <= SHAPED_ROWS) {
        // PostgreSQL: the advance and the insert of the entries in one round trip (the insert happens only if the
        // advance did); the head row comes back either way.
        const values = guess.map(toRow).flatMap((r) => ROW_COLUMNS.map((c) => r[c]));
        const { rows } = await tx.executeQuery<{ seq: number; hash: Buffer; inserted: number }>(
          CompiledQuery.raw(postgresAdvanceAndInsert(guess.length), [
            last.seq,
            last.hash,
            known.seq,
            known.hash,
            ...values,
          ]),
        );
        const row = rows[0];
        if (!row) throw new Error('access-log head row missing');
        if (Number(row.inserted) === guess.length) {
          this.known = { seq: last.seq, hash: last.hash };
          return guess;
        }
        head = { seq: Number(row.seq), hash: row.hash };
      } else {
        const { rows } = await runShaped(
          tx,
          'access_log_head.advance',
          [last.seq, last.hash, known.seq, known.hash],
          (slot) => {
            const same = sql<boolean>`seq = ${slot(2)} and hash = ${slot(3)}`;
            return tx
              .updateTable('access_log_head')
              .set({
                seq: sql<number>`case when ${same} then ${slot(0)} else seq end`,
                hash: sql<Buffer>`case when ${same} then ${slot(1)} else hash end`,
              })
              .where('id', '=', 1)
              .returning(['seq', 'hash']);
          },
        );
        const row = rows[0];
        if (!row) throw new Error('access-log head row missing');
        if (Number(row.seq) === last.seq && row.hash.equals(last.hash)) out = guess;
        else head = { seq: Number(row.seq), hash: row.hash };
      }
    }
    if (!out) {
      out = chain(head ?? (await this.lockHead(tx)));
      const last = out.at(-1)!;
      await runShaped(tx, 'access_log_head.update', [last.seq, last.hash], (slot) =>
        tx
          .updateTable('access_log_head')
          .set({ seq: slot(0), hash: slot(1) })
          .where('id', '=', 1),
      );
    }
    // One multi-row insert: bulk paths append hundreds of entries per transaction; the few entries of an
    // interactive request (or a group commit) go through a statement compiled once per row count.
    for (let i = 0; i < out.length; i += 500) {
      const rows = out.slice(i, i + 500).map(toRow);
      if (rows.length > SHAPED_ROWS) {
        await tx.insertInto('access_log').values(rows).execute();
        continue;
      }
      const values = rows.flatMap((r) => ROW_COLUMNS.map((c) => r[c]));
      await runShaped(tx, `access_log.insert.${rows.length}`, values, (slot) =>
        tx
          .insertInto('access_log')
          .values(
            rows.map((_, n) =>
              Object.fromEntries(ROW_COLUMNS.map((c, k) => [c, slot(n * ROW_COLUMNS.length + k)])),
            ) as unknown as AccessLogRow[],
          ),
      );
    }
    const last = out.at(-1)!;
    this.known = { seq: last.seq, hash: last.hash };
    return out;
  }

  /** The head row, locked until `tx` ends (PostgreSQL; SQLite has one writer). */
  async lockHead(tx: Tx): Promise<{ seq: number; hash: Buffer }> {
    // SQLite serialises writers itself; PostgreSQL needs the row lock so two instances never fork the chain.
    const { rows } = await runShaped(tx, 'access_log_head.lock', [], () => {
      const q = tx.selectFrom('access_log_head').select(['seq', 'hash']).where('id', '=', 1);
      return this.dialect === 'postgres' ? q.forUpdate() : q;
    });
    const row = rows[0];
    if (!row) throw new Error('access-log head row missing');
    return { seq: Number(row.seq), hash: row.hash };
  }

  /** The chain head as recorded (seq 0 and the genesis hash when the log is empty). */
  async head(db: Db | Tx): Promise<{ seq: number; hash: Buffer }> {
    const row = await db
      .selectFrom('access_log_head')
      .select(['seq', 'hash'])
      .where('id', '=', 1)
      .executeTakeFirst();
    return row ? { seq: Number(row.seq), hash: row.hash } : { seq: 0, hash: GENESIS_HASH };
  }

  /** Entries in chain order from `afterSeq`, a page at a time (verification streams through these). */
  async page(db: Db | Tx, afterSeq: number, limit: number): Promise<ChainedEntry[]> {
    const rows = await db
      .selectFrom('access_log')
      .selectAll()
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows.map(fromRow);
  }

  /** Entries in chain order from `afterSeq` as verification reads them (flat rows, links as hex). */
  async rawPage(db: Db | Tx, afterSeq: number, limit: number): Promise<RawEntryRow[]> {
    const { rows } = await db.executeQuery<Record<string, unknown>>(
      CompiledQuery.raw(rawRangeSql(this.dialect, false, true), [afterSeq, limit]),
    );
    // Columns come in select order (each named once), which is the RawEntryRow order.
    return rows.map((r) => Object.values(r) as RawEntryRow);
  }

  /** The log-key versions that v2 links name (the one-thread verifier prepares a BLAKE3 key for each). */
  async linkV2KeyVersions(db: Db | Tx): Promise<number[]> {
    const rows = await db
      .selectFrom('access_log')
      .select('key_version')
      .distinct()
      .where('link_format', '=', LINK_V2)
      .execute();
    return rows.map((r) => Number(r.key_version));
  }

  /** The highest seq stored (0 for an empty log): where verification cuts its ranges, not what it trusts. */
  async maxSeq(db: Db | Tx): Promise<number> {
    const row = await db
      .selectFrom('access_log')
      .select((eb) => eb.fn.max('seq').as('max'))
      .executeTakeFirst();
    return Number(row?.max ?? 0);
  }

  /**
   * Entries about one subject, newest first (what the subject and the auditor see). `excludeSecret` leaves out
   * entries under legal secrecy: the subject's own views (sharing, access history) must pass it.
   */
  async forSubject(
    db: Db | Tx,
    subjectId: string,
    limit = 100,
    beforeSeq?: number,
    options: { excludeSecret?: boolean } = {},
  ): Promise<ChainedEntry[]> {
    let q = db.selectFrom('access_log').selectAll().where('subject_id', '=', subjectId);
    if (options.excludeSecret) q = q.where('legal_secrecy', '=', 0);
    if (beforeSeq !== undefined) q = q.where('seq', '<', beforeSeq);
    const rows = await q.orderBy('seq', 'desc').limit(limit).execute();
    return rows.map(fromRow);
  }

  /** Whether any entry carries a keyed link (a log that was keyed never gets a new epoch). */
  async hasKeyedEntries(db: Db | Tx): Promise<boolean> {
    const row = await db
      .selectFrom('access_log')
      .select('seq')
      .where('key_version', '<>', 0)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** The entry at `seq`, if it exists. */
  async entryAt(db: Db | Tx, seq: number): Promise<ChainedEntry | undefined> {
    const row = await db.selectFrom('access_log').selectAll().where('seq', '=', seq).executeTakeFirst();
    return row && fromRow(row);
  }

  /** Stores a signed checkpoint of the chain at `seq` (one per seq: a second one for the same seq is ignored). */
  async addCheckpoint(tx: Tx, cp: Checkpoint): Promise<void> {
    await tx
      .insertInto('access_log_checkpoints')
      .values({
        seq: cp.seq,
        hash: cp.hash,
        signed_at: cp.signedAt,
        signature: cp.signature,
        public_key: cp.publicKey,
        every: cp.every,
        epoch: cp.epoch,
      })
      .onConflict((oc) => oc.column('seq').doNothing())
      .execute();
  }

  /** Every checkpoint in chain order. */
  async checkpoints(db: Db | Tx): Promise<Checkpoint[]> {
    const rows = await db.selectFrom('access_log_checkpoints').selectAll().orderBy('seq').execute();
    return rows.map((r) => ({
      seq: Number(r.seq),
      hash: r.hash,
      signedAt: r.signed_at,
      signature: r.signature,
      publicKey: r.public_key,
      every: r.every === null ? null : Number(r.every),
      epoch: r.epoch === null ? null : Number(r.epoch),
    }));
  }

  /** The newest v2 checkpoint (it signs the log's cadence and epoch), if any. */
  async latestKeyedCheckpoint(db: Db | Tx): Promise<Checkpoint | undefined> {
    const row = await db
      .selectFrom('access_log_checkpoints')
      .selectAll()
      .where('every', 'is not', null)
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    return (
      row && {
        seq: Number(row.seq),
        hash: row.hash,
        signedAt: row.signed_at,
        signature: row.signature,
        publicKey: row.public_key,
        every: Number(row.every),
        epoch: Number(row.epoch),
      }
    );
  }
}

/** Up to this many rows an insert runs as a compiled shape (one per row count). */
const SHAPED_ROWS = 32;
/** The columns of a stored entry, in the order `toRow` writes them. */
const ROW_COLUMNS = [
  'seq',
  'at',
  'actor',
  'role',
  'purpose',
  'legal_basis',
  'subject_id',
  'categories',
  'operation',
  'outcome',
  'reason',
  'request_id',
  'policy_version',
  'justification',
  'legal_secrecy',
  'prev_hash',
  'hash',
  'key_version',
  'link_format',
] as const satisfies readonly (keyof AccessLogRow)[];
// Every column of a row is in the list (a column missing here would be dropped from shaped inserts).
const everyColumn: Exclude<keyof AccessLogRow, (typeof ROW_COLUMNS)[number]> extends never ? true : false =
  true;
void everyColumn;

// The PostgreSQL types of the access_log columns that are not text (VALUES needs them spelled out).
const PG_CASTS: Partial<Record<(typeof ROW_COLUMNS)[number], string>> = {
  seq: 'bigint',
  policy_version: 'integer',
  legal_secrecy: 'integer',
  prev_hash: 'bytea',
  hash: 'bytea',
  key_version: 'integer',
  link_format: 'integer',
};
const pgAdvanceSql = new Map<number, string>();

/**
 * One PostgreSQL statement for `rows` entries: $1/$2 the new head, $3/$4 the head this process expects, then the
 * entries' columns. The head row moves (and the entries go in) only if it held $3/$4; it is returned either way,
 * locked, with how many entries went in.
 */
function postgresAdvanceAndInsert(rows: number): string {
  let text = pgAdvanceSql.get(rows);
  if (text) return text;
  const columns = ROW_COLUMNS.map((c) => `"${c}"`).join(', ');
  const tuples = Array.from(
    { length: rows },
    (_, n) =>
      `(${ROW_COLUMNS.map((c, k) => {
        const cast = PG_CASTS[c];
        const p = `$${5 + n * ROW_COLUMNS.length + k}`;
        return cast ? `${p}::${cast}` : `${p}::text`;
      }).join(', ')})`,
  ).join(', ');
  const same = 'seq = $3::bigint and hash = $4::bytea';
  text =
    `with h as (update access_log_head set seq = case when ${same} then $1::bigint else seq end, ` +
    `hash = case when ${same} then $2::bytea else hash end where id = 1 returning seq, hash), ` +
    `ins as (insert into access_log (${columns}) select v.* from (values ${tuples}) as v (${columns}) ` +
    `where exists (select 1 from h where h.seq = $1::bigint and h.hash = $2::bytea) returning 1) ` +
    `select h.seq, h.hash, (select count(*) from ins)::int as inserted from h`;
  pgAdvanceSql.set(rows, text);
  return text;
}

function toRow(e: ChainedEntry): AccessLogRow {
  return {
    seq: e.seq,
    at: e.at,
    actor: e.actor,
    role: e.role,
    purpose: e.purpose,
    legal_basis: e.legalBasis,
    subject_id: e.subjectId,
    categories: JSON.stringify(e.categories),
    operation: e.operation,
    outcome: e.outcome,
    reason: e.reason,
    request_id: e.requestId,
    policy_version: e.policyVersion,
    justification: e.justification,
    legal_secrecy: e.legalSecrecy ? 1 : 0,
    prev_hash: e.prevHash,
    hash: e.hash,
    key_version: e.keyVersion,
    link_format: e.linkFormat,
  };
}

function fromRow(r: AccessLogRow): ChainedEntry {
  return {
    seq: Number(r.seq),
    at: r.at,
    actor: r.actor,
    role: r.role,
    purpose: r.purpose,
    legalBasis: r.legal_basis,
    subjectId: r.subject_id,
    categories: JSON.parse(r.categories) as string[],
    operation: r.operation,
    outcome: r.outcome,
    reason: r.reason,
    requestId: r.request_id,
    policyVersion: Number(r.policy_version),
    justification: r.justification,
    ...(Number(r.legal_secrecy) === 1 ? { legalSecrecy: true } : {}),
    prevHash: r.prev_hash,
    hash: r.hash,
    keyVersion: Number(r.key_version),
    linkFormat: Number(r.link_format),
  };
}
