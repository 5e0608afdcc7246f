/* eslint-disable @typescript-eslint/no-explicit-any -- the gate addresses the sealed tables by name from
   SEALED_TABLES, so it uses Kysely's dynamic (untyped) view of them; everything it returns is typed again. */
/**
 * THE GATE — the only path to personal data.
 *
 * Every read or write of a personal-data column goes through a GateSession: it asks the published policy whether
 * (role, purpose, category, operation) is allowed and with what masking, seals or opens the ciphertext with the
 * subject's data key, and appends the access-log entry in the same transaction as the change. Denied attempts and
 * failures are logged too, in their own transaction, after the caller's work is rolled back.
 *
 * The kernel, one concern a file: this file (transaction and the session's calls), access-decisions.ts (policy
 * decision and access-log entries), field-sealing.ts (seal, open, keys, masking), sealed-lookups.ts (table specs
 * and the plain-column guard), gate-kernel.ts (what sealing extensions may use). Services, routes, jobs and the CLI
 * are adapters around it; lint forbids them the cipher, the specs and the kernel.
 */
import { createLinkSet } from './account-links.ts';
import { v7 as uuidv7 } from 'uuid';
import {
  SelectQueryNode,
  type Kysely,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
} from 'kysely';
import type { AccessLogEntry, ChainedEntry } from '../access-log/access-log.entry.ts';
import type { AccessLogWriter } from '../access-log/access-log.writer.ts';
import { markAccessLogged } from '../access-log/security-events.ts';
import { verifyPassword } from '../crypto/password.ts';
import { SigiloError, isSigiloError } from '../errors.ts';
import type { Keyring } from '../keys/keyring.ts';
import type { Operation } from '../policy/policy.evaluate.ts';
import type { Policy } from '../policy/policy.schema.ts';
import { runShaped } from '../store/compiled-shapes.ts';
import { sealedView, type KernelTx, type Store, type Tx } from '../store/store.ts';
import type { MaskLevel } from '../validation/masking.ts';
import type { AccessContext } from './access-context.ts';
import { AccessDecisions, NO_MATCH } from './access-decisions.ts';
import { applyMasking, FieldSealing } from './field-sealing.ts';
import { ProcessingBlocks, type ProcessingBlock } from './processing-blocks.ts';
import { bindKernel, kernelOf, type CategoryDecision } from './gate-kernel.ts';
import { firstRowMacMismatch, rowMacColumns, rowMacSelection, sealRowMac } from './row-mac.ts';
import type { FieldAddress } from './sealed-field.cipher.ts';
import {
  applyWhere,
  assertPlainColumns,
  categoriesOf,
  fieldOf,
  hasUpdatedAt,
  isSealedColumn,
  readableFields,
  selectRows,
} from './sealed-lookups.ts';
import {
  SEALED_TABLES,
  type SealedFieldOf,
  type SealedTableName,
  type SealedTableSpec,
} from './sealed-tables.ts';

export type { CategoryDecision } from './gate-kernel.ts';

/** What the gate needs; built once by the composition root. */
export interface GateDeps {
  store: Store;
  keyring: Keyring;
  accessLog: AccessLogWriter;
  /** The published policy in force (swapped atomically when a new version is published). */
  policy: () => Policy;
  /** The purposes each published version declared (LGPD Art. 9 §2; see AccessDecisions.authorizeCollected). */
  purposesOf?: (version: number) => ReadonlySet<string> | undefined;
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

/**
 * Watches the statements of one session's transaction: it stays `readOnly` while every one is a plain SELECT
 * (no locking clause, no WITH that could hide a change). Raw SQL and anything else count as a change.
 */
class ChangeWatch implements KyselyPlugin {
  readOnly = true;

  transformQuery({ node }: PluginTransformQueryArgs): RootOperationNode {
    if (!SelectQueryNode.is(node) || node.endModifiers?.length || node.with) this.readOnly = false;
    return node;
  }

  transformResult({ result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return Promise.resolve(result);
  }
}

/** Builds sessions; one `run` is one transaction. */
export class Gate {
  /** Sessions of this process begun and not yet answered (see `run`: a lone read appends in its own transaction). */
  private inFlight = 0;

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
    const log = this.deps.accessLog;
    let logged: ChainedEntry[] = [];
    let deferred: AccessLogEntry[] | null = null;
    this.inFlight++;
    try {
      const out = await this.deps.store.transaction(async (plain) => {
        const watch = new ChangeWatch();
        const tx = plain.withPlugin(watch);
        const session = new GateSession(this.deps, policy, ctx, tx, failures, committed, () => {
          watch.readOnly = false;
        });
        const result = await work(session);
        // A session that changed nothing has no change for its entries to be atomic with: they join the log's group
        // commit after this transaction (one commit for the reads of every concurrent request). A session that
        // changed something keeps its entries in its own transaction, and so does a read with nobody to share a
        // commit with (no other session under way, no group forming): one transaction instead of two.
        if (watch.readOnly && (this.inFlight > 1 || !log.idle)) deferred = session.takeEntries();
        else logged = await session.flush();
        return result;
      });
      // The answer waits until its entries are durable: in the transaction above, or in the group commit.
      if (deferred) await log.appendDurable(deferred);
      // Only now may the signed head outside the database cover these entries (the group commit tells it itself).
      else log.committed(logged);
      for (const fn of committed) fn();
      return out;
    } catch (err) {
      if (failures.length > 0) {
        await log.appendDurable(failures);
        markAccessLogged(err);
      }
      throw err;
    } finally {
      this.inFlight--;
    }
  }
}

/** One transaction's worth of gated access for one access context. */
export class GateSession {
  private readonly decisions: AccessDecisions;
  private readonly sealing: FieldSealing;
  /** Categories the subjects blocked (LGPD Art. 18 IV), read once per subject and session. */
  private readonly blocks: ProcessingBlocks;
  /** The same transaction with the sealed columns in view, for this kernel and its extensions only. */
  private readonly sealed: KernelTx;

  constructor(
    private readonly deps: GateDeps,
    private readonly policy: Policy,
    readonly ctx: AccessContext,
    /** The transaction, typed so that only plain columns can be named (see PlainDatabase). */
    readonly tx: Tx,
    failures: AccessLogEntry[],
    committed: (() => void)[] = [],
    /** Called when the session writes outside Kysely (bulk insertion): it is then not read-only. */
    changing: () => void = () => undefined,
  ) {
    const decisions = new AccessDecisions(policy, ctx, deps.now, failures, deps.purposesOf);
    const sealing = new FieldSealing(deps.keyring, tx, decisions);
    this.decisions = decisions;
    this.sealing = sealing;
    const blocks = new ProcessingBlocks(policy, ctx, tx, decisions, () => this.rowMacs());
    this.blocks = blocks;
    this.sealed = sealedView(tx);
    bindKernel(this, {
      tx: this.sealed,
      ctx,
      policy,
      keyring: deps.keyring,
      now: deps.now,
      get bulk() {
        changing();
        return deps.store.bulk;
      },
      dialect: deps.store.dialect,
      afterCommit: (fn) => committed.push(fn),
      authorize: (c, o, s, l) => decisions.authorize(c, o, s, l),
      authorizeCollected: (r, c, l) => decisions.authorizeCollected(r, c, l),
      allowed: (l, s, d, r) => decisions.allowed(l, s, d, r ?? null),
      fail: (l, s, c, o, code, r, d) => decisions.fail(l, s, c, o, code, r, d),
      assertNotBlocked: (subjects, categories, l) => blocks.assertOpen(subjects, categories, l),
      currentDataKey: (subjectId) => sealing.currentDataKey(subjectId),
      dataKey: (subjectId, version) => sealing.dataKey(subjectId, version),
      rowMacOf: async (table, row) => sealRowMac(await this.rowMacs(), table, row),
      rowMacColumns: (table) => (rowMacColumns(table) ? rowMacSelection(table) : []),
      checkRowMacs: (table, category, logOp, rows) => this.checkRowMacs(table, category, logOp, rows),
    });
  }

  private get db(): Kysely<any> {
    return this.sealed as Kysely<any>;
  }

  /** Whether the policy lets this context use `operation` on `category` (no access happens, nothing is logged). */
  may(category: string, operation: Operation): boolean {
    return this.decisions.may(category, operation);
  }

  /**
   * Refuses, with the gate's code and a denied access-log entry, unless the policy lets this context use
   * `operation` on `category`: for answers made of plain columns that still say something personal (whose tickets
   * hold what). Nothing is accessed, so an allowed call logs nothing.
   */
  demand(category: string, operation: Operation, logOperation: string): void {
    this.decisions.authorize([category], operation, null, logOperation);
  }

  /** Creates a data subject (the owner of a set of data keys) and returns its id. */
  async newSubject(
    kind: 'account' | 'person' | 'authority_request' | 'security_incident',
    id: string = uuidv7(),
  ): Promise<string> {
    if (this.decisions.boundSubject() !== null) {
      this.decisions.fail(
        'insert',
        null,
        [],
        'denied',
        'ROLE_NOT_ALLOWED',
        'acting for one subject, it cannot create another',
      );
    }
    await this.tx
      .insertInto('subjects')
      .values({ id, kind, created_at: this.deps.now().toISOString() })
      .execute();
    this.sealing.subjectCreated(id);
    // Its (empty) set of processing blocks: from now on a missing set is tampering, not "never blocked".
    await this.blocks.create(id);
    // Likewise its (empty) set of account links: a link deleted outright is then a mismatch, not "not linked".
    if (kind === 'person' || kind === 'account') await createLinkSet(kernelOf(this), kind, id);
    return id;
  }

  /** Seals and inserts one row; returns its id. */
  async insert<T extends SealedTableName>(name: T, spec: InsertSpec<T>): Promise<string> {
    const table: SealedTableSpec = SEALED_TABLES[name];
    const fields = Object.keys(spec.sealed).filter((f) => spec.sealed[f as SealedFieldOf<T>] !== undefined);
    const decisions = this.decisions.authorize(
      categoriesOf(table, fields),
      'write',
      spec.subjectId,
      'insert',
    );
    await this.blocks.assertOpen([spec.subjectId], [...decisions.keys()], 'insert');
    const id = spec.id ?? uuidv7();
    const now = this.deps.now().toISOString();
    const row: Record<string, unknown> = { ...spec.plain, ...table.fixed, id, subject_id: spec.subjectId };
    assertPlainColumns(table, Object.keys(spec.plain ?? {}));
    const dek = await this.sealing.currentDataKey(spec.subjectId);
    for (const f of fields) {
      const field = fieldOf(table, f);
      const value = spec.sealed[f as SealedFieldOf<T>];
      row[field.column] = await this.sealing.seal(table, field, id, spec.subjectId, dek, value);
      if (field.index) row[field.index.column] = this.sealing.index(field, value);
    }
    const legalBasis = [...decisions.values()][0]?.legalBasis ?? null;
    Object.assign(row, {
      source: spec.source,
      collected_at: now,
      legal_basis: legalBasis ?? 'unknown',
      policy_version: this.policy.version,
      created_at: row.created_at ?? now,
    });
    if (hasUpdatedAt(table)) row.updated_at = row.updated_at ?? now;
    if (rowMacColumns(table.table)) row.row_mac = sealRowMac(await this.rowMacs(), table.table, row);
    // As Kysely does, a column given as undefined is left out (its default applies).
    const columns = Object.keys(row).filter((c) => row[c] !== undefined);
    const values = columns.map((c) => row[c]);
    await runShaped(this.db, `gate.insert|${table.table}|${columns.join(',')}`, values, (slot) =>
      this.db.insertInto(table.table).values(Object.fromEntries(columns.map((c, i) => [c, slot(i)]))),
    );
    this.decisions.allowed('insert', spec.subjectId, decisions);
    return id;
  }

  /** Reads rows, opening the requested sealed fields with the masking the policy sets. */
  async find<T extends SealedTableName>(name: T, spec: FindSpec<T> = {}): Promise<OpenedRow<T>[]> {
    const table: SealedTableSpec = SEALED_TABLES[name];
    const fields = spec.fields ?? readableFields(table);
    const searchFields = spec.lookup ? [spec.lookup.field] : [];
    const categories = categoriesOf(table, [...new Set([...fields, ...searchFields])]);
    const operation = spec.lookup ? 'search' : 'read';
    const where = this.decisions.scoped(spec.where);
    assertPlainColumns(table, Object.keys({ ...where, ...table.fixed }));
    let index: { column: string; value: Buffer } | undefined;
    if (spec.lookup) {
      const field = fieldOf(table, spec.lookup.field);
      if (!field.index) throw new Error(`field ${spec.lookup.field} of ${name} has no blind index`);
      index = { column: field.index.column, value: this.sealing.index(field, spec.lookup.value) };
    }
    let decisions: Map<string, CategoryDecision>;
    try {
      decisions = this.decisions.authorize(
        // Reading rows without opening a field still reveals them (ids, links, provenance): it needs read on
        // the table's own category, as a plain-column update needs write on it.
        categories.length > 0 ? categories : [table.category],
        'read',
        spec.subjectId ?? this.ctx.actingForSubject ?? null,
        operation,
      );
    } catch (err) {
      // Acting for one subject, a refusal about rows it does not have (someone else's, or none) is "not found":
      // the refusal itself would tell that such a row exists. It is logged with its real reason all the same.
      if (this.decisions.boundSubject() !== null && spec.subjectId === undefined && isSigiloError(err)) {
        if ((await selectRows(this.db, table, where, { ...(index ? { index } : {}), limit: 1 })).length === 0)
          throw new SigiloError('NOT_FOUND', 'not found');
      }
      throw err;
    }
    const rows = await selectRows(this.db, table, where, {
      ...(index ? { index } : {}),
      ...(spec.orderBy ? { orderBy: spec.orderBy } : {}),
      ...(spec.limit ? { limit: spec.limit } : {}),
    });
    return this.openAndLog<T>(table, fields, decisions, operation, rows, spec.subjectId);
  }

  /**
   * Reads several views of one table (phones, e-mails and IP addresses share contact_points) with the same
   * plain filter in one statement; each view is authorized, opened and logged exactly as its own `find` would
   * be, in the order given. Acting for one subject, it is those finds one after the other.
   */
  async findViews<T extends SealedTableName>(
    names: readonly T[],
    spec: Pick<FindSpec<T>, 'where' | 'subjectId' | 'orderBy'> = {},
  ): Promise<Map<T, OpenedRow<T>[]>> {
    const out = new Map<T, OpenedRow<T>[]>();
    const first = names[0];
    if (first === undefined) return out;
    const tables = names.map((n): SealedTableSpec => SEALED_TABLES[n]);
    const discriminator = Object.keys(tables[0]!.fixed ?? {});
    const shared =
      discriminator.length === 1 &&
      tables.every(
        (t) => t.table === tables[0]!.table && Object.keys(t.fixed ?? {}).join() === discriminator[0],
      );
    if (!shared || names.length === 1 || this.decisions.boundSubject() !== null) {
      for (const n of names) out.set(n, await this.find(n, spec));
      return out;
    }
    const column = discriminator[0]!;
    const decided = tables.map((table) => {
      const fields = readableFields(table);
      const categories = categoriesOf(table, fields);
      const decisions = this.decisions.authorize(
        categories.length > 0 ? categories : [table.category],
        'read',
        spec.subjectId ?? null,
        'read',
      );
      return { table, fields, decisions };
    });
    const where = this.decisions.scoped(spec.where);
    assertPlainColumns(tables[0]!, Object.keys(where));
    const rows = await selectRows(
      this.db,
      { ...tables[0]!, fixed: {} },
      { ...where, [column]: tables.map((t) => t.fixed![column]) },
      spec.orderBy ? { orderBy: spec.orderBy } : {},
    );
    for (const [i, n] of names.entries()) {
      const d = decided[i]!;
      const mine = rows.filter((r) => r[column] === d.table.fixed![column]);
      out.set(n, await this.openAndLog<T>(d.table, d.fields, d.decisions, 'read', mine, spec.subjectId));
    }
    return out;
  }

  /** Opens the requested fields of fetched rows with the policy's masking and records the access per subject. */
  private async openAndLog<T extends SealedTableName>(
    table: SealedTableSpec,
    fields: string[],
    decisions: Map<string, CategoryDecision>,
    operation: 'read' | 'search',
    rows: Record<string, unknown>[],
    expectedSubject: string | undefined,
  ): Promise<OpenedRow<T>[]> {
    // Before anything trusts a plain column (its policy version included): one MAC per row, no round trip.
    await this.checkRowMacs(table.table, table.category, operation, rows);
    // LGPD Art. 9 §2: each row is read only for purposes the policy version it was collected under declared.
    this.decisions.authorizeCollected(
      rows.map((r) => ({ subjectId: r.subject_id as string, policyVersion: Number(r.policy_version) })),
      [...decisions.keys()],
      operation,
    );
    await this.blocks.assertOpen(
      rows.map((r) => r.subject_id as string),
      [...decisions.keys()],
      operation,
    );
    const out: OpenedRow<T>[] = [];
    for (const raw of rows) {
      const subjectId = raw.subject_id as string;
      const opened: OpenedRow<T> = { id: raw.id as string, subjectId, plain: {}, fields: {}, masking: {} };
      for (const [col, value] of Object.entries(raw)) {
        if (!isSealedColumn(col)) opened.plain[col] = value;
      }
      for (const f of fields) {
        const field = fieldOf(table, f);
        const level = decisions.get(field.category)?.masking ?? 'hidden';
        const address: FieldAddress = {
          table: table.table,
          rowId: opened.id,
          column: field.column,
          subjectId,
        };
        const value = await this.sealing.open(field, address, raw[field.column] as Buffer, operation);
        (opened.fields as Record<string, unknown>)[f] = applyMasking(field, level, value);
        (opened.masking as Record<string, MaskLevel>)[f] = level;
      }
      out.push(opened);
    }
    const subjects = [...new Set(out.map((r) => r.subjectId))];
    if (subjects.length === 0)
      this.decisions.allowed(operation, expectedSubject ?? null, decisions, NO_MATCH);
    for (const s of subjects) this.decisions.allowed(operation, s, decisions);
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
    const current: Record<string, unknown> | undefined = await applyWhere(
      table,
      this.db.selectFrom(table.table).select([...new Set(['id', 'subject_id', ...this.macColumns(table)])]),
      this.decisions.scoped({ id }),
    ).executeTakeFirst();
    const subjectId = (current?.subject_id as string | undefined) ?? null;
    const categories = fields.length > 0 ? categoriesOf(table, fields) : [table.category];
    const decisions = this.decisions.authorize(categories, 'write', subjectId, 'update');
    if (!current || !subjectId) return false;
    await this.blocks.assertOpen([subjectId], categories, 'update');
    assertPlainColumns(table, Object.keys(changes.plain ?? {}));
    await this.checkRowMacs(table.table, table.category, 'update', [current]);
    const set: Record<string, unknown> = { ...changes.plain };
    if (hasUpdatedAt(table)) set.updated_at = this.deps.now().toISOString();
    if (fields.length > 0) {
      const dek = await this.sealing.currentDataKey(subjectId);
      for (const f of fields) {
        const field = fieldOf(table, f);
        const value = (changes.sealed as Record<string, unknown>)[f];
        set[field.column] = await this.sealing.seal(table, field, id, subjectId, dek, value);
        if (field.index) set[field.index.column] = this.sealing.index(field, value);
      }
    }
    if (rowMacColumns(table.table)) {
      set.row_mac = sealRowMac(await this.rowMacs(), table.table, { ...current, ...set });
    }
    await this.db.updateTable(table.table).set(set).where('id', '=', id).execute();
    this.decisions.allowed('update', subjectId, decisions);
    return true;
  }

  /** Deletes rows matching `where`; needs `delete` on every category the table holds. */
  async delete<T extends SealedTableName>(
    name: T,
    where: Record<string, unknown>,
    subjectId?: string,
  ): Promise<number> {
    const table: SealedTableSpec = SEALED_TABLES[name];
    const decisions = this.authorizeDelete(table, subjectId ?? this.ctx.actingForSubject ?? null);
    const rows = (await applyWhere(
      table,
      this.db.selectFrom(table.table).select([...new Set(['id', 'subject_id', ...this.macColumns(table)])]),
      this.decisions.scoped(where),
    ).execute()) as { id: string; subject_id: string }[];
    if (rows.length === 0) return 0;
    await this.checkRowMacs(table.table, table.category, 'delete', rows);
    await applyWhere(table, this.db.deleteFrom(table.table), {
      ...where,
      id: rows.map((r) => r.id),
    }).execute();
    for (const s of new Set(rows.map((r) => r.subject_id))) this.decisions.allowed('delete', s, decisions);
    return rows.length;
  }

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
    const decisions = this.authorizeDelete(table, null);
    if (values.length === 0) return 0;
    // Checked after the statement, in its transaction: a mismatch throws and rolls the deletion back.
    const rows = (await applyWhere(table, this.db.deleteFrom(table.table), { [column]: [...values] })
      .returning([...new Set(['subject_id', ...this.macColumns(table)])])
      .execute()) as { subject_id: string }[];
    await this.checkRowMacs(table.table, table.category, 'delete', rows);
    for (const s of new Set(rows.map((r) => r.subject_id))) this.decisions.allowed('delete', s, decisions);
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
    const decisions = this.decisions.authorize(
      [table.category],
      'read',
      subjectId ?? this.ctx.actingForSubject ?? null,
      'verify',
    );
    // Every row the filter names is checked, not only the first nor only the bound subject's: a row moved here
    // from another person or subject must not hide behind the real one (nothing of it is opened or shown).
    const rows = (await applyWhere(table, this.db.selectFrom(table.table).selectAll(), where)
      .orderBy('id')
      .execute()) as Record<string, unknown>[];
    await this.checkRowMacs(table.table, table.category, 'verify', rows);
    const bound = this.decisions.boundSubject();
    const raw = rows.find((r) => bound === null || r.subject_id === bound);
    if (!raw) {
      this.decisions.allowed('verify', subjectId ?? null, decisions, 'no credential');
      return false;
    }
    await this.blocks.assertOpen([raw.subject_id as string], [table.category], 'verify');
    const field = fieldOf(table, 'secret');
    const address: FieldAddress = {
      table: table.table,
      rowId: raw.id as string,
      column: field.column,
      subjectId: raw.subject_id as string,
    };
    const hash = (await this.sealing.open(
      { ...field, encoding: 'text' },
      address,
      raw[field.column] as Buffer,
      'verify',
    )) as string;
    // The label is not shown, but a tampered one must not pass unnoticed on the one path that reads the row.
    const label = fieldOf(table, 'label');
    if (raw[label.column] !== null && raw[label.column] !== undefined) {
      await this.sealing.open(
        label,
        { ...address, column: label.column },
        raw[label.column] as Buffer,
        'verify',
      );
    }
    const ok = await verifyPassword(hash, candidate);
    this.decisions.allowed('verify', raw.subject_id as string, decisions, ok ? 'match' : 'mismatch');
    return ok;
  }

  /** Destroys a subject's keys (crypto-shredding); needs `delete` on every personal category the subject may hold. */
  async shredSubject(subjectId: string, reason: string): Promise<void> {
    // Every category that is stored under subject keys (the incident register is not subject data).
    const categories = this.policy.categories
      .filter((c) => c.personal && c.id !== 'security_incident')
      .map((c) => c.id);
    const decisions = this.decisions.authorize(categories, 'delete', subjectId, 'shred');
    await this.deps.keyring.shred(this.tx, subjectId, reason);
    this.sealing.forget(subjectId);
    this.decisions.allowed('shred', subjectId, decisions, reason);
  }

  /**
   * Blocks `categories` of the subject (LGPD Art. 18 IV): kept, but refused PROCESSING_BLOCKED to every purpose
   * the policy does not mark `continuesWhenBlocked`. Needs `delete` on each category (a restriction as strong as
   * erasure) and is logged as a `block` entry.
   */
  async blockProcessing(subjectId: string, categories: string[], requestId: string): Promise<void> {
    const decisions = this.decisions.authorize(categories, 'delete', subjectId, 'block');
    const version = await this.blocks.add(
      subjectId,
      categories,
      requestId,
      this.deps.now().toISOString(),
      'block',
    );
    this.decisions.allowed(
      'block',
      subjectId,
      decisions,
      `subject request ${requestId}, block set ${version}`,
    );
  }

  /**
   * Lifts the blocks of `categories` of the subject (those blocked; LGPD Art. 18 IV ends): the data return to
   * every purpose the policy grants. Needs `delete` on each category, like the block, and is logged as an
   * `unblock` entry naming the set's new version. Returns the blocks lifted.
   */
  async liftBlocks(subjectId: string, categories: string[], why: string): Promise<ProcessingBlock[]> {
    const decisions = this.decisions.authorize(categories, 'delete', subjectId, 'unblock');
    const { lifted, version } = await this.blocks.lift(subjectId, categories, 'unblock');
    this.decisions.allowed('unblock', subjectId, decisions, `${why}, block set ${version}`);
    return lifted;
  }

  /** The categories of the subject that are blocked (plain codes; nothing personal), MACs checked. */
  async blockedCategories(subjectId: string): Promise<ReadonlySet<string>> {
    return this.blocks.of(subjectId);
  }

  /** The subject's blocks, oldest first (plain codes, request ids and dates), MACs checked. */
  async processingBlocks(subjectId: string): Promise<ProcessingBlock[]> {
    return this.blocks.list(subjectId);
  }

  /** Appends this session's allowed entries; called by Gate.run just before commit. */
  async flush(): Promise<ChainedEntry[]> {
    return this.decisions.flush(this.tx, this.deps.accessLog);
  }

  /** Takes this session's allowed entries for a group commit (Gate.run, for a session that changed nothing). */
  takeEntries(): AccessLogEntry[] {
    return this.decisions.take();
  }

  /** The key ring's row-MAC hasher (src/gate/row-mac.ts). */
  private rowMacs() {
    return this.deps.keyring.rowMacHasher();
  }

  /** The columns to read for a row-MAC check of `table` (none when it has no row MACs). */
  private macColumns(table: SealedTableSpec): string[] {
    return rowMacColumns(table.table) ? rowMacSelection(table.table) : [];
  }

  /** INTEGRITY_ERROR (logged) naming the first row whose bound plain columns do not match its row MAC. */
  private async checkRowMacs(
    table: string,
    category: string,
    logOp: string,
    rows: readonly Record<string, unknown>[],
  ): Promise<void> {
    if (rows.length === 0 || !rowMacColumns(table)) return;
    const bad = firstRowMacMismatch(await this.rowMacs(), table, rows);
    if (!bad) return;
    this.decisions.fail(
      logOp,
      typeof bad.subject_id === 'string' ? bad.subject_id : null,
      [category],
      'error',
      'INTEGRITY_ERROR',
      'row metadata does not match its MAC',
      { table, rowId: bad.id },
    );
  }

  /** Deleting rows needs `delete` on every category the table holds. */
  private authorizeDelete(table: SealedTableSpec, subjectId: string | null) {
    return this.decisions.authorize(
      categoriesOf(table, Object.keys(table.fields)),
      'delete',
      subjectId,
      'delete',
    );
  }
}
