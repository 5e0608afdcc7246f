/**
 * The key hierarchy (SPEC §4):
 *   master key (KEK, from a KeyProvider)
 *     ├─ wraps each subject's data keys (DEKs)          → data_keys, one row per subject and version
 *     ├─ wraps the blind-index root key                 → key_material 'blind-index-root'
 *     │    └─ HKDF per index kind (phone, email, ...)   → HMAC-SHA-256 blind indexes
 *     ├─ wraps the Ed25519 signing seed                 → key_material 'signing' (access-log checkpoints, certificates)
 *     ├─ wraps the access-log MAC root, per version     → key_material 'access-log-mac-<v>'
 *     │    └─ HKDF                                      → HMAC-SHA-256 links of the access log
 *     ├─ wraps the row-MAC root                         → key_material 'row-mac-1', created by the start that
 *     │    └─ HKDF                                        MACs every core row (its presence: "MACs exist")
 *     │                                                 → keyed BLAKE3 row MACs of the core sealed tables
 *     └─ wraps the record-MAC root                      → key_material 'row-mac-2', likewise for legal holds,
 *          └─ HKDF                                        subject requests, account links, histories, heads
 * Rotating the master key rewraps those rows only; no ciphertext of personal data is touched.
 */
import { SigiloError } from '../errors.ts';
import { hkdfSha256 } from '../crypto/hkdf.ts';
import { hmacSha256 } from '../crypto/hmac.ts';
import { createKeyedHasher, type KeyedHasher } from '../crypto/keyed-hash.ts';
import { randomBytes } from '../crypto/random.ts';
import { generateSigningKey, publicKeyFromSeed, signEd25519 } from '../crypto/signing.ts';
import { sealedView, type Db, type KernelTx, type Store, type Tx } from '../store/store.ts';
import { DataKeyRepository } from './data-key.repository.ts';
import { shredMessage } from './shred-message.ts';
import { unwrapKey, wrapKey, type KeyProvider } from './key-provider.ts';

const BLIND_INDEX_ROOT = 'blind-index-root';
const SIGNING = 'signing';
const ACCESS_LOG_MAC = 'access-log-mac-';
/** The row-MAC root; its row is also the marker that every core row has a MAC (src/gate/row-mac-backfill.ts). */
export const ROW_MAC_MATERIAL = 'row-mac-1';
/** The record-MAC root (holds, subject requests, account links, histories); its row marks their backfill done. */
export const RECORD_MAC_MATERIAL = 'row-mac-2';
const CACHE_LIMIT = 50_000;

/** A data key ready for use: the raw 32 bytes and the version stamped into every ciphertext it seals. */
export interface DataKey {
  version: number;
  key: Buffer;
}

function dekAad(subjectId: string, version: number, kekVersion: number): Buffer {
  return Buffer.from(`sigilo/dek/v1|${subjectId}|${version}|${kekVersion}`);
}
function materialAad(id: string, kekVersion: number): Buffer {
  return Buffer.from(`sigilo/key-material/v1|${id}|${kekVersion}`);
}

function rowMacHasherOf(root: Buffer): Promise<KeyedHasher> {
  return createKeyedHasher(hkdfSha256(root, Buffer.alloc(0), 'sigilo/row-mac/v1', 32));
}

/** Holds the unwrapped system keys and hands out per-subject data keys; only the gate uses it. */
export class Keyring {
  private readonly repo = new DataKeyRepository();
  // Unwrapped DEKs, keyed by subject and version; an entry is used only while its wrapped bytes still exist in
  // the database, so a shred on another instance takes effect at once.
  private readonly cache = new Map<string, { wrapped: Buffer; key: Buffer }>();
  private readonly indexKeys = new Map<string, Buffer>();
  private readonly hashers = new Map<string, Promise<KeyedHasher>>();
  private indexRoot: Buffer | null = null;
  private signingSeed: Buffer | null = null;
  private signingPublic: Buffer | null = null;
  private readonly logKeys = new Map<number, Buffer>();
  private rowMac: Promise<KeyedHasher> | null = null;
  // Set by `load`: how `wrapLive` holds a master-key version against a rotation retiring it.
  private dialect: Store['dialect'] = 'sqlite';
  private recordMac: Promise<KeyedHasher> | null = null;

  constructor(
    private readonly provider: KeyProvider,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Creates the system keys on first start, then unwraps them into memory. */
  async load(store: Store): Promise<void> {
    this.dialect = store.dialect;
    await store.transaction(async (view) => {
      const tx = sealedView(view);
      const createdAt = this.now().toISOString();
      if (!(await this.repo.material(tx, BLIND_INDEX_ROOT))) {
        const { wrapped, kekVersion } = await this.wrapLive(tx, randomBytes(32), (v) =>
          materialAad(BLIND_INDEX_ROOT, v),
        );
        await this.repo.insertMaterial(tx, {
          id: BLIND_INDEX_ROOT,
          wrapped,
          kekVersion,
          publicKey: null,
          createdAt,
        });
      }
      if (!(await this.repo.material(tx, SIGNING))) {
        const { seed, publicKey } = generateSigningKey();
        const { wrapped, kekVersion } = await this.wrapLive(tx, seed, (v) => materialAad(SIGNING, v));
        await this.repo.insertMaterial(tx, { id: SIGNING, wrapped, kekVersion, publicKey, createdAt });
      }
      if (!(await this.repo.material(tx, `${ACCESS_LOG_MAC}1`))) await this.addLogKey(tx, 1);
    });
    const root = await this.repo.material(sealedView(store.db), BLIND_INDEX_ROOT);
    const signing = await this.repo.material(sealedView(store.db), SIGNING);
    if (!root || !signing?.publicKey) throw new SigiloError('NOT_INITIALISED', 'system keys are missing');
    this.indexRoot = this.unwrapMaterial(BLIND_INDEX_ROOT, root);
    this.signingSeed = this.unwrapMaterial(SIGNING, signing);
    // Derived from the seed, never taken from the row: whoever can write the database could put their own
    // public key there and sign checkpoints with the matching seed.
    this.signingPublic = publicKeyFromSeed(this.signingSeed);
    this.indexKeys.clear();
    this.hashers.clear();
    const rowMac = await this.repo.material(sealedView(store.db), ROW_MAC_MATERIAL);
    this.rowMac = rowMac ? rowMacHasherOf(this.unwrapMaterial(ROW_MAC_MATERIAL, rowMac)) : null;
    const recordMac = await this.repo.material(sealedView(store.db), RECORD_MAC_MATERIAL);
    this.recordMac = recordMac ? rowMacHasherOf(this.unwrapMaterial(RECORD_MAC_MATERIAL, recordMac)) : null;
    await this.reloadAccessLogKeys(store.db);
  }

  /** Whether the row-MAC key exists (the start that creates it MACs every core row in the same transaction). */
  get hasRowMacKey(): boolean {
    return this.rowMac !== null;
  }

  /**
   * The keyed BLAKE3 of core-row MACs (src/gate/row-mac.ts), under a key derived from a root wrapped by the master
   * key; NOT_INITIALISED until the start that creates it.
   */
  rowMacHasher(): Promise<KeyedHasher> {
    if (!this.rowMac) throw new SigiloError('NOT_INITIALISED', 'the row-MAC key is missing');
    return this.rowMac;
  }

  /** Loads the row-MAC root if it exists by now (another instance's first start created it); whether it does. */
  async reloadRowMacKey(view: Tx | KernelTx): Promise<boolean> {
    const m = await this.repo.material(sealedView(view), ROW_MAC_MATERIAL);
    if (m) this.rowMac = rowMacHasherOf(this.unwrapMaterial(ROW_MAC_MATERIAL, m));
    return m !== undefined;
  }

  /**
   * Creates the row-MAC root in `tx` and returns its hasher; `use` makes it the key ring's once `tx` committed.
   * Only the backfill at start calls it, when no root exists. `created` is false when another instance's first
   * start inserted its root first: the hasher is then that root's, and the backfill is theirs.
   */
  async createRowMacKey(
    view: Tx | KernelTx,
  ): Promise<{ hasher: KeyedHasher; use: () => void; created: boolean }> {
    const r = await this.createMacRoot(view, ROW_MAC_MATERIAL);
    return { ...r, use: () => void (this.rowMac = r.hasherPromise) };
  }

  /**
   * The keyed BLAKE3 of the record MACs (src/gate/record-macs.ts: legal holds, subject requests, account links,
   * histories and their heads), under a key derived from a second root, `row-mac-2`: its presence marks that those
   * records all have MACs, as `row-mac-1` does for the core rows. NOT_INITIALISED until the start that creates it.
   */
  recordMacHasher(): Promise<KeyedHasher> {
    if (!this.recordMac) throw new SigiloError('NOT_INITIALISED', 'the record-MAC key is missing');
    return this.recordMac;
  }

  /** Whether the record-MAC key exists. */
  get hasRecordMacKey(): boolean {
    return this.recordMac !== null;
  }

  /** Loads the record-MAC root if it exists by now; whether it does. */
  async reloadRecordMacKey(view: Tx | KernelTx): Promise<boolean> {
    const m = await this.repo.material(sealedView(view), RECORD_MAC_MATERIAL);
    if (m) this.recordMac = rowMacHasherOf(this.unwrapMaterial(RECORD_MAC_MATERIAL, m));
    return m !== undefined;
  }

  /** Creates the record-MAC root in `tx`, like `createRowMacKey` (race-safe the same way). */
  async createRecordMacKey(
    view: Tx | KernelTx,
  ): Promise<{ hasher: KeyedHasher; use: () => void; created: boolean }> {
    const r = await this.createMacRoot(view, RECORD_MAC_MATERIAL);
    return { ...r, use: () => void (this.recordMac = r.hasherPromise) };
  }

  /**
   * Inserts a MAC root `id` unless one exists, then reads back the stored one: two instances doing their first
   * start at once both insert-if-absent (PostgreSQL makes the second wait for the first's commit, SQLite's
   * `begin immediate` serialises them), and the one that lost uses the winner's root instead of its own.
   */
  private async createMacRoot(
    view: Tx | KernelTx,
    id: string,
  ): Promise<{ hasher: KeyedHasher; hasherPromise: Promise<KeyedHasher>; created: boolean }> {
    const tx = sealedView(view);
    const root = randomBytes(32);
    const { wrapped, kekVersion } = await this.wrapLive(tx, root, (v) => materialAad(id, v));
    await this.repo.insertMaterial(tx, {
      id,
      wrapped,
      kekVersion,
      publicKey: null,
      createdAt: this.now().toISOString(),
    });
    const stored = await this.repo.material(tx, id);
    if (!stored)
      throw new SigiloError('INTEGRITY_ERROR', `key material ${id} vanished`, { table: 'key_material' });
    const created = stored.wrapped.equals(wrapped);
    const hasherPromise = rowMacHasherOf(created ? root : this.unwrapMaterial(id, stored));
    return { hasher: await hasherPromise, hasherPromise, created };
  }

  private async addLogKey(tx: KernelTx, version: number): Promise<void> {
    const id = `${ACCESS_LOG_MAC}${version}`;
    const { wrapped, kekVersion } = await this.wrapLive(tx, randomBytes(32), (v) => materialAad(id, v));
    await this.repo.insertMaterial(tx, {
      id,
      wrapped,
      kekVersion,
      publicKey: null,
      createdAt: this.now().toISOString(),
    });
  }

  /** Reads every access-log key version (another instance may have started a new one). */
  async reloadAccessLogKeys(db: Db): Promise<void> {
    this.logKeys.clear();
    for (const m of await this.repo.allMaterial(sealedView(db))) {
      if (!m.id.startsWith(ACCESS_LOG_MAC)) continue;
      const version = Number(m.id.slice(ACCESS_LOG_MAC.length));
      if (!Number.isSafeInteger(version) || version < 1) continue;
      const root = this.unwrapMaterial(m.id, m);
      this.logKeys.set(version, hkdfSha256(root, Buffer.alloc(0), `sigilo/access-log-mac/v1/${version}`, 32));
    }
    if (this.logKeys.size === 0) throw new SigiloError('NOT_INITIALISED', 'the access-log key is missing');
  }

  /** The version of the access-log key new entries are linked under (the newest). */
  get accessLogKeyVersion(): number {
    if (this.logKeys.size === 0) throw new SigiloError('NOT_INITIALISED', 'keyring not loaded');
    return Math.max(...this.logKeys.keys());
  }

  /** Every access-log key version loaded (verification workers are given these keys). */
  get accessLogKeyVersions(): number[] {
    return [...this.logKeys.keys()];
  }

  /** The HMAC key of access-log key `version`; null when no such version exists (an entry naming one is broken). */
  accessLogKey(version: number): Buffer | null {
    return this.logKeys.get(version) ?? null;
  }

  /**
   * Starts a new access-log key version: entries appended from now on (by every instance, once it reloads) are
   * linked under it; entries linked under older versions stay verifiable, as their wrapped keys stay.
   */
  async rotateAccessLogKey(store: Store): Promise<number> {
    const version = this.accessLogKeyVersion + 1;
    await store.transaction((tx) => this.addLogKey(sealedView(tx), version));
    await this.reloadAccessLogKeys(store.db);
    return version;
  }

  /**
   * Wraps a new key under the current master-key version, checked in `tx` (the transaction that stores it) not to
   * be one a rotation is retiring; if it is, the provider is re-read and its newer version used. A key `tx` commits
   * is thus never under a version whose retirement already made its last rewrap pass (docs/operations.md "Key
   * rotation"), however long ago `tx` chose the version.
   */
  private async wrapLive(
    tx: KernelTx,
    raw: Buffer,
    aadOf: (kekVersion: number) => Buffer,
  ): Promise<{ wrapped: Buffer; kekVersion: number }> {
    let kekVersion = this.provider.currentVersion();
    while (await this.repo.isRetiring(tx, kekVersion, this.dialect)) {
      this.provider.refresh?.();
      const next = this.provider.currentVersion();
      if (next <= kekVersion) {
        throw new SigiloError(
          'KEY_NOT_FOUND',
          'the master key version is being retired; no newer one is loaded',
          {
            version: kekVersion,
          },
        );
      }
      kekVersion = next;
    }
    return { wrapped: wrapKey(this.provider.getKek(kekVersion), raw, aadOf(kekVersion)), kekVersion };
  }

  private unwrapMaterial(id: string, m: { wrapped: Buffer; kekVersion: number }): Buffer {
    return unwrapKey(this.provider.getKek(m.kekVersion), m.wrapped, materialAad(id, m.kekVersion));
  }

  /**
   * The AES-256-GCM key of staff free text that belongs to no data subject (staff token labels), derived from the
   * blind-index root: held only wrapped by the master key, like the root.
   */
  staffTextKey(): Buffer {
    let key = this.indexKeys.get('\u0000staff-text');
    if (!key) {
      if (!this.indexRoot) throw new SigiloError('NOT_INITIALISED', 'keyring not loaded');
      key = hkdfSha256(this.indexRoot, Buffer.alloc(0), 'sigilo/staff-text/v1', 32);
      this.indexKeys.set('\u0000staff-text', key);
    }
    return key;
  }

  /** HMAC-SHA-256 blind index of an already normalised value, under a key derived for this index kind. */
  blindIndex(kind: string, normalised: string): Buffer {
    let key = this.indexKeys.get(kind);
    if (!key) {
      if (!this.indexRoot) throw new SigiloError('NOT_INITIALISED', 'keyring not loaded');
      key = hkdfSha256(this.indexRoot, Buffer.alloc(0), `sigilo/blind-index/v1/${kind}`, 32);
      this.indexKeys.set(kind, key);
    }
    return hmacSha256(key, normalised);
  }

  /**
   * A keyed BLAKE3 hasher (16-byte output) under a key derived for `kind`, for the telecom bulk path where one
   * HMAC per record would dominate the cost. A separate derivation label from the HMAC blind indexes.
   */
  keyedHasher(kind: string): Promise<KeyedHasher> {
    let h = this.hashers.get(kind);
    if (!h) {
      h = createKeyedHasher(this.keyedHashKey(kind));
      this.hashers.set(kind, h);
    }
    return h;
  }

  /** The raw key behind `keyedHasher(kind)`, for the gate's ingest worker threads (same process). */
  keyedHashKey(kind: string): Buffer {
    if (!this.indexRoot) throw new SigiloError('NOT_INITIALISED', 'keyring not loaded');
    return hkdfSha256(this.indexRoot, Buffer.alloc(0), `sigilo/keyed-hash/v1/${kind}`, 32);
  }

  /** The public half of the signing key (access-log checkpoints, deletion certificates, export manifests). */
  get signingPublicKey(): Buffer {
    if (!this.signingPublic) throw new SigiloError('NOT_INITIALISED', 'keyring not loaded');
    return this.signingPublic;
  }

  /** Signs `message` with Sigilo's Ed25519 key. */
  sign(message: Buffer): Buffer {
    if (!this.signingSeed) throw new SigiloError('NOT_INITIALISED', 'keyring not loaded');
    return signEd25519(this.signingSeed, message);
  }

  /**
   * The subject's current data key, created (version 1) on first use. `created` says the caller inserted the
   * subject row in this same transaction: it then has neither keys nor a shred yet, and nothing is read (should a
   * key row exist all the same, the insert of version 1 fails on its primary key and the transaction with it).
   */
  async currentDataKey(view: Tx | KernelTx, subjectId: string, created = false): Promise<DataKey> {
    const tx = sealedView(view);
    if (!created) {
      const row = await this.repo.current(tx, subjectId);
      if (row) return { version: row.version, key: this.unwrapDek(subjectId, row.version, row) };
      const shredded = await tx
        .selectFrom('subjects')
        .select('shredded_at')
        .where('id', '=', subjectId)
        .executeTakeFirst();
      if (shredded?.shredded_at) throw new SigiloError('SUBJECT_SHREDDED', 'the subject was crypto-shredded');
    }
    const key = randomBytes(32);
    const { wrapped, kekVersion } = await this.wrapLive(tx, key, (v) => dekAad(subjectId, 1, v));
    await this.repo.insert(tx, {
      subjectId,
      version: 1,
      wrapped,
      kekVersion,
      createdAt: this.now().toISOString(),
    });
    this.cache.set(`${subjectId}#1`, { wrapped, key });
    return { version: 1, key };
  }

  /**
   * A specific version of the subject's data key: SUBJECT_SHREDDED when the subject was shredded,
   * INTEGRITY_ERROR when the version never existed (a ciphertext whose version bytes were altered).
   */
  async dataKey(view: Tx | KernelTx, subjectId: string, version: number): Promise<Buffer> {
    const db = sealedView(view);
    const row = await this.repo.get(db, subjectId, version);
    if (!row) {
      const subject = await db
        .selectFrom('subjects')
        .select('shredded_at')
        .where('id', '=', subjectId)
        .executeTakeFirst();
      if (subject?.shredded_at) {
        throw new SigiloError('SUBJECT_SHREDDED', 'the data key of this subject no longer exists');
      }
      throw new SigiloError('INTEGRITY_ERROR', 'ciphertext names a data-key version that does not exist', {
        version,
      });
    }
    return this.unwrapDek(subjectId, version, row);
  }

  private unwrapDek(
    subjectId: string,
    version: number,
    row: { wrapped: Buffer; kekVersion: number },
  ): Buffer {
    const id = `${subjectId}#${version}`;
    const hit = this.cache.get(id);
    // The row is as the database holds it: anything but the cached bytes is unwrapped (and fails) afresh.
    if (hit && Buffer.isBuffer(row.wrapped) && hit.wrapped.equals(row.wrapped)) {
      // Least recently used goes first: the subjects a desk is working on stay unwrapped.
      this.cache.delete(id);
      this.cache.set(id, hit);
      return hit.key;
    }
    const key = unwrapKey(
      this.provider.getKek(row.kekVersion),
      row.wrapped,
      dekAad(subjectId, version, row.kekVersion),
    );
    if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(id, { wrapped: row.wrapped, key });
    return key;
  }

  /**
   * Crypto-shredding: destroys every data key of the subject, marks it shredded and records a signed ledger entry
   * (re-applied after a backup restore). Every ciphertext under those keys becomes unreadable, backups included
   * once the ledger is replayed.
   */
  async shred(view: Tx | KernelTx, subjectId: string, reason: string): Promise<number> {
    const tx = sealedView(view);
    const destroyed = await this.repo.destroyAll(tx, subjectId);
    for (const k of this.cache.keys()) if (k.startsWith(`${subjectId}#`)) this.cache.delete(k);
    const at = this.now().toISOString();
    await tx.updateTable('subjects').set({ shredded_at: at }).where('id', '=', subjectId).execute();
    const signature = this.sign(shredMessage(subjectId, at, reason));
    await tx
      .insertInto('shred_ledger')
      .values({ subject_id: subjectId, shredded_at: at, reason, signature })
      .onConflict((oc) => oc.column('subject_id').doNothing())
      .execute();
    return destroyed;
  }

  /**
   * Master-key rotation: makes a new KEK version current (a provider managed outside Sigilo, such as the
   * environment or a secret manager, has already done so), rewraps every data key and system key in bounded
   * batches (each its own transaction, so it resumes after a crash), marks the old versions retiring (writers
   * check that mark in the transaction that stores a new key, `wrapLive`), rewraps once more what writers holding
   * an old version committed before the mark, and retires an old version only once no wrapped key uses it.
   */
  async rotateMasterKey(
    store: Store,
    batchSize = 1000,
  ): Promise<{ newVersion: number; rewrapped: number; retired: number[] }> {
    const newVersion =
      this.provider.kind === 'env' ? this.provider.currentVersion() : await this.provider.addVersion();
    const kek = this.provider.getKek(newVersion);
    let rewrapped = 0;
    const rewrapAll = async (): Promise<void> => {
      for (;;) {
        const n = await store.transaction(async (view) => {
          const tx = sealedView(view);
          const batch = await this.repo.wrappedByOtherThan(tx, newVersion, batchSize);
          for (const row of batch) {
            const key = unwrapKey(
              this.provider.getKek(row.kekVersion),
              row.wrapped,
              dekAad(row.subjectId, row.version, row.kekVersion),
            );
            const wrapped = wrapKey(kek, key, dekAad(row.subjectId, row.version, newVersion));
            await this.repo.rewrap(tx, row.subjectId, row.version, wrapped, newVersion);
          }
          return batch.length;
        });
        rewrapped += n;
        if (n === 0) break;
      }
    };
    await rewrapAll();
    if (this.provider.kind !== 'env') {
      // Other processes (a running server) may still wrap new keys under an old version. The mark commits only
      // after every writer holding an old version has committed (PostgreSQL: their FOR SHARE on its row; SQLite:
      // one writer at a time), and no writer uses a marked version afterwards, so the pass below sees them all.
      const old = this.provider.versions().filter((v) => v !== newVersion);
      const at = this.now().toISOString();
      await store.transaction((view) => this.repo.markRetiring(sealedView(view), old, at));
      await rewrapAll();
    }
    await store.transaction(async (view) => {
      const tx = sealedView(view);
      for (const m of await this.repo.allMaterial(tx)) {
        if (m.kekVersion === newVersion) continue;
        const raw = this.unwrapMaterial(m.id, m);
        await this.repo.rewrapMaterial(
          tx,
          m.id,
          wrapKey(kek, raw, materialAad(m.id, newVersion)),
          newVersion,
        );
      }
    });
    this.cache.clear();
    const retired: number[] = [];
    if (this.provider.kind !== 'env') {
      const stillUsed = new Set(await this.repo.kekVersionsInUse(sealedView(store.db)));
      for (const v of this.provider.versions()) {
        if (v !== newVersion && !stillUsed.has(v)) {
          await this.provider.retireVersion(v);
          retired.push(v);
        }
      }
    }
    return { newVersion, rewrapped, retired };
  }
}
