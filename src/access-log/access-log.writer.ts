import type { Db, Store, Tx } from '../store/store.ts';
import {
  checkpointMessageV2,
  canonicalEntry,
  headMessage,
  keyedChainHash,
  LINK_V1,
  LINK_V2,
  type AccessLogEntry,
  type ChainedEntry,
} from './access-log.entry.ts';
import type { AccessLogHeadFile, SignedHead } from './access-log.head-file.ts';
import type { AccessLogRepository, Checkpoint } from './access-log.repository.ts';
import { createLinkV2, type LinkV2 } from './access-log.link-v2.ts';

/** At most this many callers share one group commit (bounds the transaction and the wait of the first). */
const GROUP_MAX = 256;
/**
 * A read this soon after the last append is taken to be part of a burst and joins the group commit even when no
 * other session is under way. On SQLite a request runs from its first statement to its answer without yielding
 * (no I/O), so concurrent HTTP requests never overlap and "another session in flight" never holds: each read would
 * write its own commit (WAL frames for the log's and the head's pages, every time). Deferred to the next turn of the
 * event loop instead, the reads of the requests already readable on their sockets meet in one commit.
 */
const BURST_MS = 5;

/** Signs checkpoints and heads; the keyring provides it so the access log never holds key material. */
export interface CheckpointSigner {
  sign(message: Buffer): Buffer;
  readonly signingPublicKey: Buffer;
}

/** The access-log MAC keys; the keyring provides them. */
export interface LogKeys {
  readonly accessLogKeyVersion: number;
  accessLogKey(version: number): Buffer | null;
}

/** How the writer is set up (the composition root builds it from the configuration). */
export interface AccessLogWriterOptions {
  /** Cadence of signed checkpoints for a new log; an existing log keeps the cadence its epoch signed. */
  checkpointEvery?: number;
  /** The signed head outside the database; null only where no file may be written (tests of the writer alone). */
  headFile?: AccessLogHeadFile | null;
  /** Longest time a committed entry waits before the head file covers it (0: after every commit). */
  headIntervalMs?: number;
  /** Called with a problem the writer met while keeping the head file (no personal data in it). */
  onProblem?: (message: string, details: Record<string, unknown>) => void;
  /** Verifies an Ed25519 signature under the trusted key (for the epoch checkpoint read at start). */
  verifySignature?: (message: Buffer, signature: Buffer) => boolean;
  /**
   * Link format of new entries: `LINK_V2` (keyed BLAKE3). `LINK_V1` (HMAC-SHA-256) only reproduces what the
   * previous version wrote, for the tests of a log that holds both; the composition root never sets it.
   */
  linkFormat?: number;
}

/**
 * Appends entries linked by keyed BLAKE3 (link format v2) under the current log key, signs a checkpoint at every multiple of the
 * log's cadence, and keeps the newest committed head signed in a file outside the database.
 */
export class AccessLogWriter {
  private every: number;
  private epoch = 0;
  private readonly headFile: AccessLogHeadFile | null;
  private readonly headIntervalMs: number;
  private readonly onProblem: (message: string, details: Record<string, unknown>) => void;
  private db: Db | null = null;
  private store: Store | null = null;
  /** Entries waiting for the next group commit, each with the caller waiting for it to be durable. */
  private queue: {
    entries: AccessLogEntry[];
    done: (chained: ChainedEntry[]) => void;
    fail: (err: unknown) => void;
  }[] = [];
  private draining = false;
  private pending: { seq: number; hash: Buffer } | null = null;
  /** The v2 link computer of each log-key version used so far (created once: hash-wasm loads asynchronously). */
  private readonly links = new Map<number, Promise<LinkV2>>();
  private signed: { seq: number; hash: Buffer } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();
  /** performance.now() at the last append (see BURST_MS); -Infinity before the first. */
  private lastAppendAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly repo: AccessLogRepository,
    private readonly signer: CheckpointSigner,
    private readonly keys: LogKeys,
    private readonly now: () => Date,
    private readonly options: AccessLogWriterOptions = {},
  ) {
    this.every = options.checkpointEvery ?? 1000;
    this.headFile = options.headFile ?? null;
    this.headIntervalMs = options.headIntervalMs ?? 1000;
    this.onProblem = options.onProblem ?? (() => undefined);
  }

  /**
   * Whether no group commit is forming or under way and nothing was appended in the last BURST_MS (a lone read
   * may then append in its own transaction: one transaction instead of two, when there is nobody to share with).
   */
  get idle(): boolean {
    return this.queue.length === 0 && !this.draining && performance.now() - this.lastAppendAt > BURST_MS;
  }

  /** The checkpoint cadence and epoch in force (what the verifier will expect). */
  get cadence(): { every: number; epoch: number } {
    return { every: this.every, epoch: this.epoch };
  }

  /**
   * Called once at start. A log without a v2 checkpoint (new, or written before the keyed log) gets its epoch:
   * a checkpoint at the current head that signs the cadence and marks every entry up to it as plain-linked. A
   * missing head file is created (and the fact logged in the chain, so a deleted file shows to the auditor).
   */
  async init(store: Store): Promise<void> {
    this.db = store.db;
    this.store = store;
    const file = this.headFile?.read() ?? { kind: 'missing' as const };
    if (file.kind === 'valid') {
      this.signed = { seq: file.head.seq, hash: file.head.hash };
      this.every = file.head.every;
      this.epoch = file.head.epoch;
    }
    const created = await store.transaction(async (tx) => {
      const head = await this.repo.lockHead(tx);
      const latest = await this.repo.latestKeyedCheckpoint(tx);
      if (latest && this.trusted(latest)) {
        this.every = latest.every!;
        this.epoch = latest.epoch!;
        return false;
      }
      // Only a log that never was keyed gets an epoch: no signed head outside the database, no keyed entry and no
      // v2 checkpoint. Anything else lost its checkpoints to someone; verification reports it, nothing is re-signed.
      if (latest || file.kind !== 'missing' || (await this.repo.hasKeyedEntries(tx))) {
        this.onProblem('access-log checkpoints missing or invalid at start; no epoch signed', {
          headSeq: head.seq,
        });
        return false;
      }
      this.epoch = head.seq;
      await this.checkpointAt(tx, head.seq, head.hash);
      return true;
    });
    if (!this.headFile || file.kind !== 'missing') {
      if (file.kind === 'invalid') {
        // Never overwrite evidence: the verifier names the problem until an operator looks.
        this.onProblem('access-log head file invalid; not replaced', { file: this.headFile?.file });
      }
      return;
    }
    if (created) {
      const head = await this.repo.head(store.db);
      await this.writeHead({ seq: head.seq, hash: head.hash }, false);
      return;
    }
    // The file went missing while the log was keyed (deleted, or a new host): start a new one, and say so in the
    // chain itself so the auditor sees where the outside anchor restarted.
    const head = await this.repo.head(store.db);
    const chained = await store.transaction((tx) =>
      this.append(tx, [
        {
          at: this.now().toISOString(),
          actor: 'sigilo',
          role: 'system',
          purpose: null,
          legalBasis: null,
          subjectId: null,
          categories: [],
          operation: 'audit.head_file_created',
          outcome: 'error',
          reason: `the signed head file was missing; a new one starts after seq ${head.seq}`,
          requestId: 'startup',
          policyVersion: 0,
          justification: null,
        },
      ]),
    );
    const last = chained.at(-1)!;
    await this.writeHead({ seq: last.seq, hash: last.hash }, false);
  }

  private trusted(cp: Checkpoint): boolean {
    if (cp.every === null || cp.epoch === null) return false;
    const message = checkpointMessageV2(cp.seq, cp.hash, cp.every, cp.epoch);
    return this.options.verifySignature?.(message, cp.signature) ?? true;
  }

  /** Appends in `tx` (the same transaction as the change the entries describe). */
  async append(tx: Tx, entries: AccessLogEntry[]): Promise<ChainedEntry[]> {
    this.lastAppendAt = performance.now();
    const version = this.keys.accessLogKeyVersion;
    if (this.options.linkFormat === LINK_V1) {
      const key = this.keys.accessLogKey(version)!;
      return this.checkpointed(
        tx,
        await this.repo.append(tx, entries, version, (prev, seq, e) =>
          keyedChainHash(key, version, prev, seq, e),
        ),
      );
    }
    let pending = this.links.get(version);
    if (!pending) {
      pending = createLinkV2(this.keys.accessLogKey(version)!, version);
      this.links.set(version, pending);
      pending.catch(() => this.links.delete(version));
    }
    const link = await pending;
    const chained = await this.repo.append(
      tx,
      entries,
      version,
      (prev, seq, e) => link.buffer(prev, canonicalEntry(seq, e)),
      LINK_V2,
    );
    return this.checkpointed(tx, chained);
  }

  private async checkpointed(tx: Tx, chained: ChainedEntry[]): Promise<ChainedEntry[]> {
    const first = chained[0];
    if (!first) return chained;
    // A checkpoint at every multiple of the cadence: the verifier knows exactly which must exist.
    const start = Math.ceil(first.seq / this.every) * this.every;
    for (let seq = start; seq <= first.seq + chained.length - 1; seq += this.every) {
      if (seq > this.epoch) await this.checkpointAt(tx, seq, chained[seq - first.seq]!.hash);
    }
    return chained;
  }

  /**
   * Appends `entries` in a transaction of their own, shared with the entries other callers hand in meanwhile
   * (group commit), and resolves once that transaction has committed: the caller may answer only then. The
   * entries of one call stay together and in order; the chain order is the commit order. Only for entries that
   * describe no change of their own (reads, refusals): a change's entries belong in the change's transaction.
   */
  appendDurable(entries: AccessLogEntry[]): Promise<ChainedEntry[]> {
    if (entries.length === 0) return Promise.resolve([]);
    return new Promise((done, fail) => {
      this.queue.push({ entries, done, fail });
      if (this.draining) return;
      this.draining = true;
      // After the requests already readable on their sockets have run: with SQLite a request's whole session runs
      // without yielding, so only here do the reads of concurrent requests meet in one commit.
      setImmediate(() => void this.drain());
    });
  }

  private async drain(): Promise<void> {
    const store = this.store;
    try {
      while (this.queue.length > 0) {
        let batch: typeof this.queue = [];
        try {
          if (!store) throw new Error('access-log writer not initialised');
          const chained = await store.transaction(async (tx) => {
            // Taken once the transaction holds the connection: whoever queued while it waited joins this commit.
            batch = this.queue.splice(0, GROUP_MAX);
            return this.append(
              tx,
              batch.flatMap((b) => b.entries),
            );
          });
          this.committed(chained);
          let at = 0;
          for (const b of batch) {
            b.done(chained.slice(at, at + b.entries.length));
            at += b.entries.length;
          }
        } catch (err) {
          // Nobody of the batch may answer: their entries are not in the log.
          if (batch.length === 0) batch = this.queue.splice(0, GROUP_MAX);
          for (const b of batch) b.fail(err);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  /**
   * Tells the writer that entries it appended have committed: the head file will cover them within the head
   * interval. Never call it for a transaction that rolled back (a signed head must exist in the database).
   */
  committed(chained: readonly ChainedEntry[]): void {
    const last = chained.at(-1);
    if (!last || !this.headFile) return;
    if (!this.pending || last.seq > this.pending.seq) this.pending = { seq: last.seq, hash: last.hash };
    if (this.headIntervalMs === 0) {
      void this.flushHead();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        void this.flushHead();
      }, this.headIntervalMs);
      this.timer.unref();
    }
  }

  /** Writes the newest committed head to the head file now (at shutdown, before a backup, in tests). */
  flushHead(): Promise<void> {
    const next = this.writing.then(async () => {
      const p = this.pending;
      this.pending = null;
      if (p) await this.writeHead(p, true);
    });
    this.writing = next.catch((err: unknown) => {
      this.onProblem('access-log head file not written', { error: (err as Error).message });
    });
    return this.writing;
  }

  /** Stops the head timer and writes the last head (Sigilo.close). */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flushHead();
  }

  private async writeHead(candidate: { seq: number; hash: Buffer }, extend: boolean): Promise<void> {
    if (!this.headFile || !this.db) return;
    // Another process sharing the file may have signed a newer head meanwhile.
    const onDisk = this.headFile.read();
    if (onDisk.kind === 'invalid') return;
    let base = this.signed;
    if (onDisk.kind === 'valid' && (!base || onDisk.head.seq > base.seq)) base = onDisk.head;
    if (extend && base) {
      if (candidate.seq <= base.seq) return;
      // Never sign over a rewritten log: the head signed last must still be in the chain.
      const e = await this.repo.entryAt(this.db, base.seq);
      if (base.seq > 0 && (!e || !e.hash.equals(base.hash))) {
        this.onProblem('access-log entry under the signed head changed; head file kept', { seq: base.seq });
        return;
      }
    }
    const signedAt = this.now().toISOString();
    const head: SignedHead = {
      seq: candidate.seq,
      hash: candidate.hash,
      signedAt,
      every: this.every,
      epoch: this.epoch,
      signature: this.signer.sign(
        headMessage(candidate.seq, candidate.hash, signedAt, this.every, this.epoch),
      ),
    };
    await this.headFile.write(head);
    this.signed = { seq: head.seq, hash: head.hash };
  }

  /** Signs the current head now (used by `sigilo audit checkpoint` and before a backup). */
  async checkpoint(tx: Tx): Promise<{ seq: number } | null> {
    const head = await this.repo.head(tx);
    if (head.seq === 0) return null;
    const existing = (await this.repo.checkpoints(tx)).at(-1);
    if (existing?.seq === head.seq) return { seq: head.seq };
    await this.checkpointAt(tx, head.seq, head.hash);
    return { seq: head.seq };
  }

  private async checkpointAt(tx: Tx, seq: number, hash: Buffer): Promise<void> {
    const signature = this.signer.sign(checkpointMessageV2(seq, hash, this.every, this.epoch));
    await this.repo.addCheckpoint(tx, {
      seq,
      hash,
      signedAt: this.now().toISOString(),
      signature,
      publicKey: this.signer.signingPublicKey,
      every: this.every,
      epoch: this.epoch,
    });
  }
}
