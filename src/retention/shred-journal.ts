/**
 * The shred journal: an append-only file of signed shred-ledger entries kept in the data directory, outside the
 * database and therefore outside its backups. Restoring a backup taken before a shred brings the subject's
 * wrapped data keys back; on the next start `reconcile` finds every journalled subject whose keys exist again and
 * shreds it again, so the restore never resurrects it.
 *
 * Entries are the key ring's own ledger rows (`sigilo/shred/v1|subject|at|reason`, Ed25519 by Sigilo's key), so a
 * line cannot be forged to destroy someone's keys without the signing key; unverifiable lines are reported and
 * skipped. The journal receives entries right after a retention shred commits and, for shreds made by any other
 * path, whenever `sync` copies the database ledger into it (on start, before each sweep, before a restore).
 */
import { shredMessage } from '../keys/shred-message.ts';
import fs from 'node:fs';
import path from 'node:path';
import { verifyEd25519 } from '../crypto/signing.ts';
import type { AccessContext } from '../gate/access-context.ts';
import type { Gate } from '../gate/gate.ts';
import type { Store } from '../store/store.ts';

/** File name of the journal inside the data directory. */
export const SHRED_JOURNAL_FILE = 'shred-ledger.jsonl';

/** One journal line. */
export interface ShredJournalEntry {
  v: 1;
  subjectId: string;
  shreddedAt: string;
  reason: string;
  /** Base64 Ed25519 signature made by the key ring when it shredded. */
  signature: string;
}

export interface ReconcileReport {
  /** Entries in the journal. */
  journalled: number;
  /** Database ledger rows copied into the journal. */
  synced: number;
  /** Subjects shredded again because their keys had come back (a restore). */
  reshredded: string[];
  /** Lines that are malformed or whose signature does not verify (skipped). */
  rejected: number;
}

const IN_CHUNK = 500;

/** Reads, appends to and replays the journal. */
export class ShredJournal {
  // Subjects already in the file (not verified: only to avoid duplicate lines); loaded once, kept in step.
  private known: Set<string> | null = null;
  /** What the last `reconcile` (normally the one at start) did. */
  lastReconcile: ReconcileReport | null = null;

  constructor(
    private readonly deps: {
      file: string;
      store: Store;
      /** Needed to verify (`read`, `reconcile`) and re-shred (`reconcile`); `sync` and `record` need neither. */
      publicKey?: () => Buffer;
      gate?: Gate;
      systemContext?: (requestId: string) => AccessContext;
    },
  ) {}

  /** The journal's path. */
  get file(): string {
    return this.deps.file;
  }

  /** Every line, parsed; `rejected` counts malformed or unverifiable ones. */
  read(): { entries: ShredJournalEntry[]; rejected: number } {
    let text: string;
    try {
      text = fs.readFileSync(this.deps.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], rejected: 0 };
      throw err;
    }
    if (!this.deps.publicKey) throw new Error('the shred journal needs the signing public key to verify');
    const publicKey = this.deps.publicKey();
    const entries: ShredJournalEntry[] = [];
    let rejected = 0;
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const e = JSON.parse(line) as ShredJournalEntry;
        const ok =
          e.v === 1 &&
          typeof e.subjectId === 'string' &&
          typeof e.shreddedAt === 'string' &&
          typeof e.reason === 'string' &&
          typeof e.signature === 'string' &&
          verifyEd25519(
            publicKey,
            shredMessage(e.subjectId, e.shreddedAt, e.reason),
            Buffer.from(e.signature, 'base64'),
          );
        if (ok) entries.push(e);
        else rejected += 1;
      } catch {
        // A torn last line after a crash mid-append is expected; the entry is re-synced from the database.
        rejected += 1;
      }
    }
    return { entries, rejected };
  }

  private knownIds(): Set<string> {
    if (!this.known) {
      this.known = new Set();
      if (fs.existsSync(this.deps.file)) {
        for (const line of fs.readFileSync(this.deps.file, 'utf8').split('\n')) {
          try {
            // A torn line (crash mid-append) does not parse, so its entry is written again by the next sync.
            const e = JSON.parse(line) as Partial<ShredJournalEntry>;
            if (typeof e.subjectId === 'string' && typeof e.signature === 'string')
              this.known.add(e.subjectId);
          } catch {
            /* torn or foreign line */
          }
        }
      }
    }
    return this.known;
  }

  /** Appends entries and flushes them to disk before returning. */
  append(entries: readonly ShredJournalEntry[]): void {
    if (entries.length === 0) return;
    const known = this.knownIds();
    fs.mkdirSync(path.dirname(this.deps.file), { recursive: true, mode: 0o700 });
    const fd = fs.openSync(this.deps.file, 'a+', 0o600);
    try {
      // After a torn write the file does not end with a newline; start on a fresh line so no entry is glued to it.
      const size = fs.fstatSync(fd).size;
      const last = Buffer.alloc(1);
      const lead = size > 0 && fs.readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a ? '\n' : '';
      fs.writeSync(fd, lead + entries.map((e) => JSON.stringify(e) + '\n').join(''));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    for (const e of entries) known.add(e.subjectId);
  }

  /** Appends the database ledger rows of these subjects (after a retention shred commits). */
  async record(subjectIds: readonly string[]): Promise<void> {
    if (subjectIds.length === 0) return;
    const known = this.knownIds();
    const wanted = subjectIds.filter((s) => !known.has(s));
    const rows = [];
    for (let i = 0; i < wanted.length; i += IN_CHUNK) {
      rows.push(
        ...(await this.deps.store.db
          .selectFrom('shred_ledger')
          .selectAll()
          .where('subject_id', 'in', wanted.slice(i, i + IN_CHUNK))
          .execute()),
      );
    }
    this.append(rows.map(toEntry));
  }

  /** Copies every database ledger row missing from the journal into it; returns how many. */
  async sync(): Promise<number> {
    const known = this.knownIds();
    const missing: ShredJournalEntry[] = [];
    let after = '';
    for (;;) {
      const rows = await this.deps.store.db
        .selectFrom('shred_ledger')
        .selectAll()
        .where('subject_id', '>', after)
        .orderBy('subject_id')
        .limit(5000)
        .execute();
      for (const r of rows) if (!known.has(r.subject_id)) missing.push(toEntry(r));
      const last = rows.at(-1);
      if (!last) break;
      after = last.subject_id;
    }
    this.append(missing);
    return missing.length;
  }

  /**
   * Brings database and journal in line: copies new ledger rows into the journal, then shreds again (through the
   * gate, so it is authorised and logged) every journalled subject that still has data keys or lost its ledger
   * row — which is what restoring an older backup looks like. Run on every start and after every restore.
   */
  async reconcile(): Promise<ReconcileReport> {
    const { gate, systemContext } = this.deps;
    if (!gate || !systemContext) throw new Error('the shred journal needs the gate to re-apply shreds');
    const synced = await this.sync();
    const { entries, rejected } = this.read();
    const byId = new Map(entries.map((e) => [e.subjectId, e]));
    const ids = [...byId.keys()];
    const stale = new Set<string>();
    for (let i = 0; i < ids.length; i += IN_CHUNK) {
      const chunk = ids.slice(i, i + IN_CHUNK);
      const [keys, ledger, subjects] = await Promise.all([
        this.deps.store.db
          .selectFrom('data_keys')
          .select('subject_id')
          .distinct()
          .where('subject_id', 'in', chunk)
          .execute(),
        this.deps.store.db
          .selectFrom('shred_ledger')
          .select('subject_id')
          .where('subject_id', 'in', chunk)
          .execute(),
        this.deps.store.db
          .selectFrom('subjects')
          .select(['id', 'shredded_at'])
          .where('id', 'in', chunk)
          .execute(),
      ]);
      for (const k of keys) stale.add(k.subject_id);
      const inLedger = new Set(ledger.map((l) => l.subject_id));
      for (const s of subjects) if (!inLedger.has(s.id) || !s.shredded_at) stale.add(s.id);
    }
    const reshredded: string[] = [];
    for (const subjectId of [...stale].sort()) {
      const e = byId.get(subjectId)!;
      await gate.run(systemContext(`shred-journal-${subjectId}`), async (s) => {
        // Put the original signed ledger row back first, so the ledger keeps the first shred's time and signature.
        await s.tx
          .insertInto('shred_ledger')
          .values({
            subject_id: e.subjectId,
            shredded_at: e.shreddedAt,
            reason: e.reason,
            signature: Buffer.from(e.signature, 'base64'),
          })
          .onConflict((oc) => oc.column('subject_id').doNothing())
          .execute();
        await s.shredSubject(subjectId, `re-applied from the shred journal: ${e.reason}`);
        await s.tx
          .updateTable('subjects')
          .set({ shredded_at: e.shreddedAt })
          .where('id', '=', subjectId)
          .execute();
        // Its identity rows are unreadable now; the identity sweep deletes them once nothing references them.
        await s.tx
          .insertInto('retention_orphans')
          .values({ subject_id: subjectId, token: `journal-${e.shreddedAt}`, enqueued_at: e.shreddedAt })
          .onConflict((oc) => oc.column('subject_id').doNothing())
          .execute();
      });
      reshredded.push(subjectId);
    }
    this.lastReconcile = { journalled: entries.length, synced, reshredded, rejected };
    return this.lastReconcile;
  }
}

function toEntry(r: {
  subject_id: string;
  shredded_at: string;
  reason: string;
  signature: Buffer;
}): ShredJournalEntry {
  return {
    v: 1,
    subjectId: r.subject_id,
    shreddedAt: r.shredded_at,
    reason: r.reason,
    signature: Buffer.from(r.signature).toString('base64'),
  };
}
