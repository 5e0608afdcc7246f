/**
 * Blocked processing (LGPD Art. 18 IV): a subject's category that a blocking request withdrew from processing is
 * kept, but every gated access to it under a purpose the policy does not mark `continuesWhenBlocked` (legal
 * obligation, the defence of rights, the subject's own requests) is refused PROCESSING_BLOCKED and logged as
 * denied. The blocks of a subject are read once per session, and only under a purpose that blocks can stop.
 *
 * A database writer without the key can neither lift nor plant a block (issue 13): each `processing_blocks` row
 * has a row MAC (ROW_MACS, src/gate/row-mac.ts), and each subject has one `block_sets` row, written with the
 * subject and never deleted, holding a version and a keyed MAC over the subject's whole set of blocks. The blocks
 * of every subject a statement touches are read with their set rows in one statement (a join); a missing set row,
 * a block row the set does not list (inserted), a listed one that is missing (deleted) or an edited one is
 * INTEGRITY_ERROR naming the unit, logged, and the access is refused.
 */
import { timingSafeEqual } from 'node:crypto';
import { CompiledQuery } from 'kysely';
import { KEYED_HASH_BYTES, type KeyedHasher } from '../crypto/keyed-hash.ts';
import { SigiloError } from '../errors.ts';
import type { Policy } from '../policy/policy.schema.ts';
import type { Tx } from '../store/store.ts';
import type { AccessContext } from './access-context.ts';
import type { AccessDecisions } from './access-decisions.ts';
import { rowMacMatches, sealRowMac } from './row-mac.ts';

/** One block as the gate trusts it (after its MACs were checked). */
export interface ProcessingBlock {
  category: string;
  requestId: string;
  blockedAt: string;
}

interface BlockSet {
  version: number;
  blocks: ReadonlyMap<string, ProcessingBlock>;
}

/** A block row's id: its primary key (subject, category) as one value. */
export function blockRowId(subjectId: string, category: string): string {
  return `${subjectId}/${category}`;
}

/** The keyed MAC of a subject's set of blocks at `version` (the order of `blocks` does not matter). */
export function blockSetMac(
  h: KeyedHasher,
  subjectId: string,
  version: number,
  blocks: Iterable<ProcessingBlock>,
): Buffer {
  const members = [...blocks]
    .sort((a, b) => (a.category < b.category ? -1 : a.category > b.category ? 1 : 0))
    .map((b) => [b.category, b.requestId, b.blockedAt]);
  return h.hash(JSON.stringify(['sigilo/block-set/v1', subjectId, String(version), members]));
}

function macMatches(expected: Buffer, stored: unknown): boolean {
  return Buffer.isBuffer(stored) && stored.length === KEYED_HASH_BYTES && timingSafeEqual(expected, stored);
}

const CHUNK = 500;

/** One row of the join of a subject's set with its blocks (block columns NULL for a subject without blocks). */
type BlockRow = {
  set_subject: string;
  version: number | string;
  set_mac: Buffer;
  id: string | null;
  subject_id: string | null;
  category: string | null;
  request_id: string | null;
  blocked_at: string | null;
  row_mac: Buffer | null;
};

/** The join's SQL text per dialect and number of subjects (see ProcessingBlocks.readSql). */
const READ_SQL = new Map<string, string>();

/** One session's view of the blocks of the subjects it touches. */
export class ProcessingBlocks {
  private readonly bySubject = new Map<string, BlockSet>();
  private readonly exempt: boolean;

  constructor(
    policy: Policy,
    ctx: AccessContext,
    private readonly tx: Tx,
    private readonly decisions: AccessDecisions,
    private readonly hasher: () => Promise<KeyedHasher>,
  ) {
    this.exempt = policy.purposes.some((p) => p.id === ctx.purpose && p.continuesWhenBlocked === true);
  }

  /**
   * Refuses (logged, PROCESSING_BLOCKED) when any of `subjects` has any of `categories` blocked; the blocks of
   * every subject not yet seen in this session are read in one statement.
   */
  async assertOpen(
    subjects: Iterable<string>,
    categories: readonly string[],
    logOperation: string,
  ): Promise<void> {
    if (this.exempt) return;
    const wanted = [...new Set(subjects)];
    await this.load(wanted, categories, logOperation);
    for (const subject of wanted) {
      const blocked = this.bySubject.get(subject)!.blocks;
      const hit = categories.find((c) => blocked.has(c));
      if (hit !== undefined) {
        this.decisions.fail(
          logOperation,
          subject,
          [...categories],
          'denied',
          'PROCESSING_BLOCKED',
          `category ${hit} is blocked at the subject's request`,
          { category: hit },
        );
      }
    }
  }

  /** Writes the empty set of a new subject (every subject has one: its absence is tampering). */
  async create(subjectId: string): Promise<void> {
    const set = { version: 0, blocks: new Map<string, ProcessingBlock>() };
    await this.tx
      .insertInto('block_sets')
      .values({
        subject_id: subjectId,
        version: 0,
        set_mac: blockSetMac(await this.hasher(), subjectId, 0, []),
      })
      .execute();
    this.bySubject.set(subjectId, set);
  }

  /**
   * Records blocks for `categories` of `subject` (those not blocked yet); the caller has authorised and logs
   * them. Returns the set's new version.
   */
  async add(
    subject: string,
    categories: readonly string[],
    requestId: string,
    at: string,
    logOperation: string,
  ): Promise<number> {
    const set = await this.verified(subject, categories, logOperation);
    const fresh = [...new Set(categories)]
      .filter((c) => !set.blocks.has(c))
      .map((category) => ({ category, requestId, blockedAt: at }));
    if (fresh.length === 0) return set.version;
    const h = await this.hasher();
    const rows = fresh.map((b) => {
      const row = {
        id: blockRowId(subject, b.category),
        subject_id: subject,
        category: b.category,
        request_id: b.requestId,
        blocked_at: b.blockedAt,
      };
      return { ...row, row_mac: sealRowMac(h, 'processing_blocks', row) };
    });
    await this.tx.insertInto('processing_blocks').values(rows).execute();
    const blocks = new Map(set.blocks);
    for (const b of fresh) blocks.set(b.category, b);
    return this.writeSet(subject, set.version, blocks, h);
  }

  /**
   * Lifts the blocks of `categories` of `subject` (those blocked); the caller has authorised and logs it.
   * Returns the blocks lifted and the set's new version.
   */
  async lift(
    subject: string,
    categories: readonly string[],
    logOperation: string,
  ): Promise<{ lifted: ProcessingBlock[]; version: number }> {
    const set = await this.verified(subject, categories, logOperation);
    const lifted = [...new Set(categories)].flatMap((c) => {
      const b = set.blocks.get(c);
      return b ? [b] : [];
    });
    if (lifted.length === 0) return { lifted, version: set.version };
    await this.tx
      .deleteFrom('processing_blocks')
      .where('subject_id', '=', subject)
      .where(
        'category',
        'in',
        lifted.map((b) => b.category),
      )
      .execute();
    const blocks = new Map(set.blocks);
    for (const b of lifted) blocks.delete(b.category);
    return { lifted, version: await this.writeSet(subject, set.version, blocks, await this.hasher()) };
  }

  /** The blocks of `subject`, oldest first, checked against their MACs (whatever the purpose). */
  async list(subject: string, logOperation = 'read'): Promise<ProcessingBlock[]> {
    const set = await this.verified(subject, [], logOperation);
    return [...set.blocks.values()].sort(
      (a, b) => a.blockedAt.localeCompare(b.blockedAt) || a.category.localeCompare(b.category),
    );
  }

  /** The categories blocked for `subject`, checked against their MACs (whatever the purpose). */
  async of(subject: string): Promise<ReadonlySet<string>> {
    return new Set((await this.verified(subject, [], 'read')).blocks.keys());
  }

  private async verified(subject: string, categories: readonly string[], logOperation: string) {
    await this.load([subject], categories, logOperation);
    return this.bySubject.get(subject)!;
  }

  private async writeSet(
    subject: string,
    from: number,
    blocks: Map<string, ProcessingBlock>,
    h: KeyedHasher,
  ): Promise<number> {
    const version = from + 1;
    const res = await this.tx
      .updateTable('block_sets')
      .set({ version, set_mac: blockSetMac(h, subject, version, blocks.values()) })
      .where('subject_id', '=', subject)
      .where('version', '=', from)
      .executeTakeFirst();
    // Another session changed the set since this one read it: the caller retries on a fresh read.
    if (Number(res.numUpdatedRows) !== 1)
      throw new SigiloError('CONFLICT', "the subject's blocks changed meanwhile", { resource: 'block_sets' });
    this.bySubject.set(subject, { version, blocks });
    return version;
  }

  /** Reads and checks the sets of the subjects not yet seen in this session, in one statement per 500. */
  private async load(subjects: readonly string[], categories: readonly string[], logOperation: string) {
    const missing = subjects.filter((s) => !this.bySubject.has(s));
    if (missing.length === 0) return;
    const h = await this.hasher();
    for (let i = 0; i < missing.length; i += CHUNK) {
      const part = missing.slice(i, i + CHUNK);
      const rows = (await this.tx.executeQuery<BlockRow>(CompiledQuery.raw(this.readSql(part.length), part)))
        .rows;
      const sets = new Map<string, { version: number; mac: unknown; blocks: Map<string, ProcessingBlock> }>();
      for (const r of rows) {
        let set = sets.get(r.set_subject);
        if (!set) {
          set = { version: Number(r.version), mac: r.set_mac, blocks: new Map() };
          sets.set(r.set_subject, set);
        }
        if (r.id === null && r.category === null) continue; // a subject without blocks
        if (!rowMacMatches(h, 'processing_blocks', r)) {
          this.integrity(logOperation, r.set_subject, categories, 'processing_blocks', r.id ?? r.category);
        }
        set.blocks.set(r.category!, {
          category: r.category!,
          requestId: r.request_id!,
          blockedAt: r.blocked_at!,
        });
      }
      for (const subject of part) {
        const set = sets.get(subject);
        // Every subject has its set from its creation on: none means it was deleted (with the blocks, perhaps).
        if (!set) this.integrity(logOperation, subject, categories, 'block_sets', subject);
        // A block row deleted or inserted, or the set row replaced by another state's.
        if (!macMatches(blockSetMac(h, subject, set.version, set.blocks.values()), set.mac))
          this.integrity(logOperation, subject, categories, 'block_sets', subject);
        this.bySubject.set(subject, { version: set.version, blocks: set.blocks });
      }
    }
  }

  /**
   * The SQL of the join for `n` subjects, built once per count and dialect: Kysely's builder costs more CPU than
   * SQLite's execution of this statement (about 14 µs against 4), and the statement runs once per subject and
   * session on the hot read path. Executed as a compiled query, a plain select.
   */
  private readSql(n: number): string {
    const key = `${this.tx.getExecutor().adapter.constructor.name}/${n}`;
    let text = READ_SQL.get(key);
    if (text === undefined) {
      text = this.tx
        .selectFrom('block_sets as s')
        .leftJoin('processing_blocks as b', 'b.subject_id', 's.subject_id')
        .select([
          's.subject_id as set_subject',
          's.version',
          's.set_mac',
          'b.id',
          'b.subject_id',
          'b.category',
          'b.request_id',
          'b.blocked_at',
          'b.row_mac',
        ])
        .where(
          's.subject_id',
          'in',
          Array.from({ length: n }, (_, i) => String(i)),
        )
        .compile().sql;
      READ_SQL.set(key, text);
    }
    return text;
  }

  private integrity(
    logOperation: string,
    subject: string,
    categories: readonly string[],
    table: string,
    rowId: string | null,
  ): never {
    return this.decisions.fail(
      logOperation,
      subject,
      [...categories],
      'error',
      'INTEGRITY_ERROR',
      "the subject's processing blocks do not match their MAC",
      { table, rowId },
    );
  }
}
