/* eslint-disable @typescript-eslint/no-explicit-any -- the gate addresses the sealed tables by name from
   SEALED_TABLES, so it uses Kysely's dynamic (untyped) view of them; everything it returns is typed again. */
/**
 * THE GATE — the only path to personal data.
 *
 * Every read or write of a personal-data column goes through a GateSession: it asks the published policy whether
 * (role, purpose, category, operation) is allowed and with what masking, seals or opens the ciphertext with the
 * subject's data key, and appends the access-log entry in the same transaction as the change. Denied attempts and
 * failures are logged too, in their own transaction, after the caller's work is rolled back.
 * Services, routes, jobs and the CLI are adapters around this file; lint forbids them the cipher and the specs.
 */
import { v7 as uuidv7 } from 'uuid';
import type { Kysely } from 'kysely';
import type { AccessLogEntry } from '../access-log/access-log.entry.ts';
import type { AccessLogWriter } from '../access-log/access-log.writer.ts';
import { hashPassword, verifyPassword } from '../crypto/password.ts';
import { SigiloError, isSigiloError, type ErrorCode } from '../errors.ts';
import type { Keyring } from '../keys/keyring.ts';
import { evaluate, recordablePurpose, type Operation } from '../policy/policy.evaluate.ts';
import type { Policy } from '../policy/policy.schema.ts';
import type { BulkInsert } from '../store/bulk-insert.ts';
import type { Store, StoreDialect, Tx } from '../store/store.ts';
import { mask, maskAddress, type MaskLevel } from '../validation/masking.ts';
import type { PostalAddress } from '../validation/address.ts';
import type { AccessContext } from './access-context.ts';
import { openField, sealedKeyVersion, sealField, type FieldAddress } from './sealed-field.cipher.ts';
import {
  SEALED_TABLES,
  type SealedFieldOf,
  type SealedFieldSpec,
  type SealedTableName,
  type SealedTableSpec,
} from './sealed-tables.ts';

/** What the gate needs; built once by the composition root. */
export interface GateDeps {
  store: Store;
  keyring: Keyring;
  accessLog: AccessLogWriter;
  /** The published policy in force (swapped atomically when a new version is published). */
  policy: () => Policy;
  now: () => Date;
}

/** A row as the gate returns it: plain columns, opened (and masked) sealed fields, and the masking applied. */
export interface OpenedRow<T extends SealedTableName> {
  id: string;
  subjectId: string;
  plain: Record<string, unknown>;
  fields: Partial<Record<SealedFieldOf<T>, unknown>>;
  masking: Partial<Record<SealedFieldOf<T>, MaskLevel>>;
}

export interface InsertSpec<T extends SealedTableName> {
  id?: string;
  subjectId: string;
  /** Plain (non-personal) columns: foreign keys, status, dates that retention needs. */
  plain?: Record<string, unknown>;
  sealed: Partial<Record<SealedFieldOf<T>, unknown>>;
  /** Provenance source: contracting, support_contact, network_platform, import, subject_portal, staff. */
  source: string;
}

export interface FindSpec<T extends SealedTableName> {
  /** Equality filters on plain columns (an array means IN). */
  where?: Record<string, unknown>;
  /** Exact-match lookup of an already normalised value through the field's blind index. */
  lookup?: { field: SealedFieldOf<T>; value: string };
  /** Which sealed fields to open; default every readable field. */
  fields?: SealedFieldOf<T>[];
  /** Subject the caller expects (logged on denials even when no row is read). */
  subjectId?: string;
  orderBy?: string;
  limit?: number;
}

const PLAIN_COLUMN = /^[a-z][a-z0-9_]*$/;
const JUSTIFICATION_MAX = 500;

/** A policy decision for one category, as the gate applies it. */
export interface CategoryDecision {
  masking: MaskLevel;
  legalBasis: string;
}

/**
 * The gate's internals, for gate extensions in src/gate/ (telecom records, recordings, retention) only:
 * lint forbids importing `kernelOf` anywhere else, so services keep seeing just the session's public methods.
 */
export interface GateKernel {
  readonly tx: Tx;
  readonly ctx: AccessContext;
  readonly policy: Policy;
  readonly keyring: Keyring;
  readonly now: () => Date;
  /** Dialect-specific bulk insertion (telecom hot path). */
  readonly bulk: BulkInsert;
  readonly dialect: StoreDialect;
  /** Runs `fn` once the session's transaction has committed (never after a rollback): in-memory caches of
   *  what was written must not learn of writes that did not happen. */
  afterCommit(fn: () => void): void;
  /** Evaluates every category; on the first refusal logs a denied entry and throws its code. */
  authorize(
    categories: string[],
    operation: Operation,
    subjectId: string | null,
    logOperation: string,
  ): Map<string, CategoryDecision>;
  /** Records an allowed access (appended in the session's transaction at commit). */
  allowed(
    logOperation: string,
    subjectId: string | null,
    decisions: Map<string, CategoryDecision>,
    reason?: string | null,
  ): void;
  /** Records a failed access (logged even after rollback) and throws. */
  fail(
    logOperation: string,
    subjectId: string | null,
    categories: string[],
    outcome: 'denied' | 'error',
    code: ErrorCode,
    reason: string,
    details?: Record<string, unknown>,
  ): never;
  /** The subject's current data key (created on first use). */
  currentDataKey(subjectId: string): Promise<{ version: number; key: Buffer }>;
  /** A given version of the subject's data key (cached for the session); SUBJECT_SHREDDED when destroyed. */
  dataKey(subjectId: string, version: number): Promise<Buffer>;
}

const kernels = new WeakMap<GateSession, GateKernel>();

/** The kernel behind a session (gate extensions only; see GateKernel). */
export function kernelOf(session: GateSession): GateKernel {
  const k = kernels.get(session);
  if (!k) throw new Error('not a gate session');
  return k;
}

/** Builds sessions; one `run` is one transaction. */
export class Gate {
  constructor(private readonly deps: GateDeps) {}

  /** The policy version the gate enforces right now. */
  get policyVersion(): number {
    return this.deps.policy().version;
  }

  /**
   * Runs `work` in one transaction with a session bound to `ctx`. Allowed accesses are logged in that
   * transaction; denied or failed ones are logged even though the work is rolled back.
   */
  async run<T>(ctx: AccessContext, work: (session: GateSession) => Promise<T>): Promise<T> {
    const policy = this.deps.policy();
    const failures: AccessLogEntry[] = [];
    const committed: (() => void)[] = [];
    try {
      const out = await this.deps.store.transaction(async (tx) => {
        const session = new GateSession(this.deps, policy, ctx, tx, failures, committed);
        const result = await work(session);
        await session.flush();
        return result;
      });
      for (const fn of committed) fn();
      return out;
    } catch (err) {
      if (failures.length > 0) {
        await this.deps.store.transaction((tx) => this.deps.accessLog.append(tx, failures));
      }
      throw err;
    }
  }
}

/** One transaction's worth of gated access for one access context. */
export class GateSession {
  private readonly entries: AccessLogEntry[] = [];
  /** Pending entries by subject, operation and reason (merged, see `allowed`). */
  private readonly pending = new Map<string, AccessLogEntry>();
  private readonly keys = new Map<string, Buffer>();

  constructor(
    private readonly deps: GateDeps,
    private readonly policy: Policy,
    readonly ctx: AccessContext,
    /** The transaction, for repositories of non-personal tables only. */
    readonly tx: Tx,
    private readonly failures: AccessLogEntry[],
    committed: (() => void)[] = [],
  ) {
    kernels.set(this, {
      tx,
      ctx,
      policy,
      keyring: deps.keyring,
      now: deps.now,
      bulk: deps.store.bulk,
      dialect: deps.store.dialect,
      afterCommit: (fn) => committed.push(fn),
      authorize: (c, o, s, l) => this.authorize(c, o, s, l),
      allowed: (l, s, d, r) => this.allowed(l, s, d, r ?? null),
      fail: (l, s, c, o, code, r, d) => this.fail(l, s, c, o, code, r, d),
      currentDataKey: (subjectId) => deps.keyring.currentDataKey(tx, subjectId),
      dataKey: (subjectId, version) => this.dataKey(subjectId, version),
    });
  }

  private async dataKey(subjectId: string, version: number): Promise<Buffer> {
    const id = `${subjectId}#${version}`;
    let key = this.keys.get(id);
    if (!key) {
      key = await this.deps.keyring.dataKey(this.tx, subjectId, version);
      this.keys.set(id, key);
    }
    return key;
  }

  private get db(): Kysely<any> {
    return this.tx as Kysely<any>;
  }

  /** Whether the policy lets this context use `operation` on `category` (no access happens, nothing is logged). */
  may(category: string, operation: Operation): boolean {
    if (!this.ctx.purpose) return false;
    return evaluate(this.policy, { role: this.ctx.role, purpose: this.ctx.purpose, category, operation })
      .allowed;
  }

  /** Creates a data subject (the owner of a set of data keys) and returns its id. */
  async newSubject(kind: 'account' | 'person', id: string = uuidv7()): Promise<string> {
    await this.tx
      .insertInto('subjects')
      .values({ id, kind, created_at: this.deps.now().toISOString() })
      .execute();
    return id;
  }

  /** Seals and inserts one row; returns its id. */
  async insert<T extends SealedTableName>(name: T, spec: InsertSpec<T>): Promise<string> {
    const table: SealedTableSpec = SEALED_TABLES[name];
    const fields = Object.keys(spec.sealed).filter((f) => spec.sealed[f as SealedFieldOf<T>] !== undefined);
    const decisions = this.authorize(this.categoriesOf(table, fields), 'write', spec.subjectId, 'insert');
    const id = spec.id ?? uuidv7();
    const now = this.deps.now().toISOString();
    const row: Record<string, unknown> = { ...spec.plain, ...table.fixed, id, subject_id: spec.subjectId };
    this.assertPlainColumns(table, Object.keys(spec.plain ?? {}));
    const dek = await this.deps.keyring.currentDataKey(this.tx, spec.subjectId);
    for (const f of fields) {
      const field = this.field(table, f);
      row[field.column] = await this.sealValue(
        table,
        field,
        id,
        spec.subjectId,
        dek,
        spec.sealed[f as SealedFieldOf<T>],
      );
      if (field.index) row[field.index.column] = this.indexOf(field, spec.sealed[f as SealedFieldOf<T>]);
    }
    const legalBasis = [...decisions.values()][0]?.legalBasis ?? null;
    Object.assign(row, {
      source: spec.source,
      collected_at: now,
      legal_basis: legalBasis ?? 'unknown',
      policy_version: this.policy.version,
      created_at: row.created_at ?? now,
    });
    if (hasUpdatedAt(table.table)) row.updated_at = row.updated_at ?? now;
    await this.db.insertInto(table.table).values(row).execute();
    this.allowed('insert', spec.subjectId, decisions);
    return id;
  }

  /** Reads rows, opening the requested sealed fields with the masking the policy sets. */
  async find<T extends SealedTableName>(name: T, spec: FindSpec<T> = {}): Promise<OpenedRow<T>[]> {
    const table: SealedTableSpec = SEALED_TABLES[name];
    const fields = spec.fields ?? readableFields(table);
    const searchFields = spec.lookup ? [spec.lookup.field] : [];
    const categories = this.categoriesOf(table, [...new Set([...fields, ...searchFields])]);
    const decisions = this.authorize(
      // Reading rows without opening a field still reveals them (ids, links, provenance): it needs read on
      // the table's own category, as a plain-column update needs write on it.
      categories.length > 0 ? categories : [table.category],
      'read',
      spec.subjectId ?? null,
      spec.lookup ? 'search' : 'read',
    );
    let q = this.db.selectFrom(table.table).selectAll();
    q = this.applyWhere(table, q, spec.where);
    if (spec.lookup) {
      const field = this.field(table, spec.lookup.field);
      if (!field.index) throw new Error(`field ${spec.lookup.field} of ${name} has no blind index`);
      q = q.where(field.index.column, '=', this.deps.keyring.blindIndex(field.index.kind, spec.lookup.value));
    }
    if (spec.orderBy) {
      this.assertPlainColumns(table, [spec.orderBy]);
      q = q.orderBy(spec.orderBy);
    }
    if (spec.limit) q = q.limit(spec.limit);
    const rows = (await q.execute()) as Record<string, unknown>[];

    const out: OpenedRow<T>[] = [];
    for (const raw of rows) {
      const subjectId = raw.subject_id as string;
      const opened: OpenedRow<T> = { id: raw.id as string, subjectId, plain: {}, fields: {}, masking: {} };
      for (const [col, value] of Object.entries(raw)) {
        if (!col.endsWith('_ct') && !col.endsWith('_bidx')) opened.plain[col] = value;
      }
      for (const f of fields) {
        const field = this.field(table, f);
        const level = decisions.get(field.category)?.masking ?? 'hidden';
        const address: FieldAddress = {
          table: table.table,
          rowId: opened.id,
          column: field.column,
          subjectId,
        };
        const value = await this.openValue(
          field,
          address,
          raw[field.column] as Buffer,
          spec.lookup ? 'search' : 'read',
        );
        (opened.fields as Record<string, unknown>)[f] = applyMasking(field, level, value);
        (opened.masking as Record<string, MaskLevel>)[f] = level;
      }
      out.push(opened);
    }
    const subjects = [...new Set(out.map((r) => r.subjectId))];
    if (subjects.length === 0)
      this.allowed(spec.lookup ? 'search' : 'read', spec.subjectId ?? null, decisions, 'no matching record');
    for (const s of subjects) this.allowed(spec.lookup ? 'search' : 'read', s, decisions);
    return out;
  }

  /** Changes one row: re-seals the given fields under the subject's current key and updates plain columns. */
  async update<T extends SealedTableName>(
    name: T,
    id: string,
    changes: { plain?: Record<string, unknown>; sealed?: Partial<Record<SealedFieldOf<T>, unknown>> },
  ): Promise<boolean> {
    const table: SealedTableSpec = SEALED_TABLES[name];
    const fields = Object.keys(changes.sealed ?? {});
    const current = await this.applyWhere(
      table,
      this.db.selectFrom(table.table).select(['id', 'subject_id']),
      { id },
    ).executeTakeFirst();
    const subjectId = (current as { subject_id?: string } | undefined)?.subject_id ?? null;
    const categories = fields.length > 0 ? this.categoriesOf(table, fields) : [table.category];
    const decisions = this.authorize(categories, 'write', subjectId, 'update');
    if (!current || !subjectId) return false;
    this.assertPlainColumns(table, Object.keys(changes.plain ?? {}));
    const set: Record<string, unknown> = { ...changes.plain };
    if (hasUpdatedAt(table.table)) set.updated_at = this.deps.now().toISOString();
    if (fields.length > 0) {
      const dek = await this.deps.keyring.currentDataKey(this.tx, subjectId);
      for (const f of fields) {
        const field = this.field(table, f);
        const value = (changes.sealed as Record<string, unknown>)[f];
        set[field.column] = await this.sealValue(table, field, id, subjectId, dek, value);
        if (field.index) set[field.index.column] = this.indexOf(field, value);
      }
    }
    await this.db.updateTable(table.table).set(set).where('id', '=', id).execute();
    this.allowed('update', subjectId, decisions);
    return true;
  }

  /** Deletes rows matching `where`; needs `delete` on every category the table holds. */
  async delete<T extends SealedTableName>(
    name: T,
    where: Record<string, unknown>,
    subjectId?: string,
  ): Promise<number> {
    const table: SealedTableSpec = SEALED_TABLES[name];
    const decisions = this.authorize(
      this.categoriesOf(table, Object.keys(table.fields)),
      'delete',
      subjectId ?? null,
      'delete',
    );
    const rows = (await this.applyWhere(
      table,
      this.db.selectFrom(table.table).select(['id', 'subject_id']),
      where,
    ).execute()) as {
      id: string;
      subject_id: string;
    }[];
    if (rows.length === 0) return 0;
    await this.applyWhere(table, this.db.deleteFrom(table.table), {
      ...where,
      id: rows.map((r) => r.id),
    }).execute();
    for (const s of new Set(rows.map((r) => r.subject_id))) this.allowed('delete', s, decisions);
    return rows.length;
  }

  /** Checks a password against a stored argon2id hash without ever releasing the hash. */
  async verifySecret(
    name: 'portalPasswords',
    where: Record<string, unknown>,
    candidate: string,
    subjectId?: string,
  ): Promise<boolean> {
    const table: SealedTableSpec = SEALED_TABLES[name];
    const decisions = this.authorize([table.category], 'read', subjectId ?? null, 'verify');
    const rows = (await this.applyWhere(table, this.db.selectFrom(table.table).selectAll(), where)
      .limit(1)
      .execute()) as Record<string, unknown>[];
    const raw = rows[0];
    if (!raw) {
      this.allowed('verify', subjectId ?? null, decisions, 'no credential');
      return false;
    }
    const field = this.field(table, 'secret');
    const address: FieldAddress = {
      table: table.table,
      rowId: raw.id as string,
      column: field.column,
      subjectId: raw.subject_id as string,
    };
    const hash = (await this.openValue(
      { ...field, encoding: 'text' },
      address,
      raw[field.column] as Buffer,
      'verify',
    )) as string;
    const ok = await verifyPassword(hash, candidate);
    this.allowed('verify', raw.subject_id as string, decisions, ok ? 'match' : 'mismatch');
    return ok;
  }

  /** Destroys a subject's keys (crypto-shredding); needs `delete` on every personal category the subject may hold. */
  async shredSubject(subjectId: string, reason: string): Promise<void> {
    // Every category that is stored under subject keys (the incident register is not subject data).
    const categories = this.policy.categories
      .filter((c) => c.personal && c.id !== 'security_incident')
      .map((c) => c.id);
    const decisions = this.authorize(categories, 'delete', subjectId, 'shred');
    await this.deps.keyring.shred(this.tx, subjectId, reason);
    this.allowed('shred', subjectId, decisions, reason);
  }

  /** Appends this session's allowed entries; called by Gate.run just before commit. */
  async flush(): Promise<void> {
    this.pending.clear();
    await this.deps.accessLog.append(this.tx, this.entries.splice(0));
  }

  // ---- policy --------------------------------------------------------------------------------------------

  private authorize(
    categories: string[],
    operation: Operation,
    subjectId: string | null,
    logOperation: string,
  ): Map<string, { masking: MaskLevel; legalBasis: string }> {
    const { ctx } = this;
    if (!ctx.purpose) {
      this.fail(logOperation, subjectId, categories, 'denied', 'PURPOSE_REQUIRED', 'no purpose stated');
    }
    const decisions = new Map<string, { masking: MaskLevel; legalBasis: string }>();
    for (const category of categories) {
      const d = evaluate(this.policy, {
        role: ctx.role,
        purpose: ctx.purpose,
        category,
        operation,
      });
      if (!d.allowed) {
        this.fail(logOperation, subjectId, categories, 'denied', d.code, d.reason, { category, operation });
      }
      decisions.set(category, { masking: d.masking, legalBasis: d.legalBasis });
    }
    return decisions;
  }

  /** The purpose as the log and error details may hold it: a declared id, or a marker with its length. */
  private get recordedPurpose(): string | null {
    return this.ctx.purpose === null ? null : recordablePurpose(this.policy, this.ctx.purpose);
  }

  private fail(
    operation: string,
    subjectId: string | null,
    categories: string[],
    outcome: 'denied' | 'error',
    code: ErrorCode,
    reason: string,
    details: Record<string, unknown> = {},
  ): never {
    this.failures.push(this.entry(operation, subjectId, categories, outcome, `${code}: ${reason}`, null));
    throw new SigiloError(code, outcome === 'denied' ? `access denied: ${reason}` : reason, {
      role: this.ctx.role,
      purpose: this.recordedPurpose,
      ...details,
    });
  }

  private allowed(
    operation: string,
    subjectId: string | null,
    decisions: Map<string, { masking: MaskLevel; legalBasis: string }>,
    reason: string | null = null,
  ): void {
    // One entry per subject and operation per transaction: reading a person's name, phones and addresses is one
    // access with several categories, not five entries (the log stays readable and the hot path short).
    const key = `${subjectId ?? ''}\u0000${operation}\u0000${reason ?? ''}`;
    const same = this.pending.get(key);
    if (same) {
      same.categories = [...new Set([...same.categories, ...decisions.keys()])].sort();
      const bases = new Set([
        ...(same.legalBasis?.split('; ') ?? []),
        ...[...decisions.values()].map((d) => d.legalBasis),
      ]);
      same.legalBasis = [...bases].join('; ') || null;
      return;
    }
    const legalBasis = [...new Set([...decisions.values()].map((d) => d.legalBasis))].join('; ') || null;
    const entry = this.entry(operation, subjectId, [...decisions.keys()], 'allowed', reason, legalBasis);
    this.pending.set(key, entry);
    this.entries.push(entry);
  }

  private entry(
    operation: string,
    subjectId: string | null,
    categories: string[],
    outcome: AccessLogEntry['outcome'],
    reason: string | null,
    legalBasis: string | null,
  ): AccessLogEntry {
    return {
      at: this.deps.now().toISOString(),
      actor: this.ctx.actor,
      role: this.ctx.role,
      purpose: this.recordedPurpose,
      legalBasis,
      subjectId,
      categories: [...new Set(categories)].sort(),
      operation,
      outcome,
      reason,
      requestId: this.ctx.requestId,
      policyVersion: this.policy.version,
      justification: this.ctx.justification?.slice(0, JUSTIFICATION_MAX) ?? null,
    };
  }

  // ---- sealing -------------------------------------------------------------------------------------------

  private async sealValue(
    table: SealedTableSpec,
    field: SealedFieldSpec,
    rowId: string,
    subjectId: string,
    dek: { version: number; key: Buffer },
    value: unknown,
  ): Promise<Buffer> {
    let plaintext: string;
    if (field.encoding === 'json') plaintext = JSON.stringify(value);
    else if (field.encoding === 'password') plaintext = await hashPassword(String(value));
    else plaintext = String(value);
    const address: FieldAddress = { table: table.table, rowId, column: field.column, subjectId };
    return sealField(dek.key, dek.version, address, Buffer.from(plaintext, 'utf8'));
  }

  private async openValue(
    field: SealedFieldSpec,
    address: FieldAddress,
    sealed: Buffer,
    operation: string,
  ): Promise<unknown> {
    try {
      const key = await this.dataKey(address.subjectId, sealedKeyVersion(sealed));
      const text = openField(key, address, sealed).toString('utf8');
      return field.encoding === 'json' ? (JSON.parse(text) as unknown) : text;
    } catch (err) {
      if (isSigiloError(err, 'INTEGRITY_ERROR') || isSigiloError(err, 'SUBJECT_SHREDDED')) {
        this.fail(operation, address.subjectId, [field.category], 'error', err.code, err.message, {
          table: address.table,
          column: address.column,
          rowId: address.rowId,
        });
      }
      throw err;
    }
  }

  private indexOf(field: SealedFieldSpec, value: unknown): Buffer {
    // Callers pass values already normalised by the validation layer (E.164, lower-case e-mail, digits, canonical IP).
    return this.deps.keyring.blindIndex(field.index!.kind, String(value));
  }

  // ---- helpers -------------------------------------------------------------------------------------------

  private field(table: SealedTableSpec, name: string): SealedFieldSpec {
    const field = table.fields[name];
    if (!field) throw new Error(`unknown sealed field ${name} of ${table.table}`);
    return field;
  }

  private categoriesOf(table: SealedTableSpec, fields: string[]): string[] {
    return [...new Set(fields.map((f) => this.field(table, f).category))];
  }

  private assertPlainColumns(table: SealedTableSpec, columns: string[]): void {
    const sealedColumns = new Set(Object.values(table.fields).flatMap((f) => [f.column, f.index?.column]));
    for (const c of columns) {
      if (!PLAIN_COLUMN.test(c) || sealedColumns.has(c) || c.endsWith('_ct') || c.endsWith('_bidx')) {
        throw new Error(`column ${c} of ${table.table} is not a plain column`);
      }
    }
  }

  private applyWhere<Q extends { where: (...args: any[]) => Q }>(
    table: SealedTableSpec,
    q: Q,
    where: Record<string, unknown> = {},
  ): Q {
    const all = { ...where, ...table.fixed };
    this.assertPlainColumns(table, Object.keys(all));
    for (const [col, value] of Object.entries(all)) {
      q = Array.isArray(value)
        ? q.where(col, 'in', value.length ? value : ['\u0000none'])
        : q.where(col, '=', value);
    }
    return q;
  }

  // ---- retention sweeps: bulk deletion by value list (added for src/retention; append-only block) ----------

  /**
   * Deletes the rows whose plain `column` is one of `values` in a single statement and logs one entry per subject
   * whose rows went; needs `delete` on every category the table holds. Retention sweeps delete bounded batches of
   * known ids (or parent ids) with it: one round trip instead of a select and a delete. Returns rows deleted.
   */
  async deleteWhereIn<T extends SealedTableName>(
    name: T,
    column: string,
    values: readonly string[],
  ): Promise<number> {
    const table: SealedTableSpec = SEALED_TABLES[name];
    const decisions = this.authorize(
      this.categoriesOf(table, Object.keys(table.fields)),
      'delete',
      null,
      'delete',
    );
    if (values.length === 0) return 0;
    const rows = (await this.applyWhere(table, this.db.deleteFrom(table.table), { [column]: [...values] })
      .returning(['subject_id'])
      .execute()) as { subject_id: string }[];
    for (const s of new Set(rows.map((r) => r.subject_id))) this.allowed('delete', s, decisions);
    return rows.length;
  }
}

function readableFields(table: SealedTableSpec): string[] {
  return Object.entries(table.fields)
    .filter(([, f]) => f.encoding !== 'password')
    .map(([name]) => name);
}

function hasUpdatedAt(table: string): boolean {
  return ['accounts', 'people', 'contracts', 'invoices', 'tickets', 'credentials'].includes(table);
}

function applyMasking(field: SealedFieldSpec, level: MaskLevel, value: unknown): unknown {
  if (level === 'none') return value;
  if (field.maskAs === 'address') return maskAddress(level, value as PostalAddress);
  if (field.maskAs === 'json') return '[oculto]';
  return mask(field.maskAs, level, String(value));
}
