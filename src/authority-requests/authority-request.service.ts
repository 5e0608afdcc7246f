/**
 * Authority requests (SPEC §7): intake checked against the legal rules, the workflow
 * received → validating → approved → searching → results_ready → delivered → closed (or rejected / cancelled),
 * four-eyes approval (each decision in the access log, its reasons sealed in the request's history), preservation
 * holds, and the DPO's counts.
 * Every method takes a gate session opened at the edge; the request's own subject key seals its targets.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { Compile } from 'typebox/compile';
import { SigiloError, isSigiloError } from '../errors.ts';
import type { AccessContext } from '../gate/access-context.ts';
import type { Gate, GateSession } from '../gate/gate.ts';
import { requireDuty, type Duty } from '../policy/policy.evaluate.ts';
import type { Policy } from '../policy/policy.schema.ts';
import type { LegalHoldService } from '../retention/legal-holds.ts';
import type { AccountService } from '../services/account.service.ts';
import type { PersonService } from '../services/person.service.ts';
import type { Db, StoreDialect } from '../store/store.ts';
import {
  Decision,
  NewAuthorityRequest,
  type AuthorityRequestViewOut,
  type NewAuthorityRequestInput,
  type RequestState,
} from './authority-request.schema.ts';
import { checkRequest, type Target } from './authority-request.rules.ts';
import {
  AuthorityRequestRepository,
  DONE_STATES,
  type PlainRequestRow,
} from './authority-request.repository.ts';
import {
  AUTHORITY_REQUEST_CATEGORY,
  logStep,
  readEvents,
  refuseStep,
  writeEvent,
} from './sealing/authority-requests.gate.ts';
import { openOrderDocument, sealOrderDocument } from './sealing/order-document.gate.ts';
import { refuseSensitiveText } from '../guard/free-text.guard.ts';
import type { BlobStore } from '../recordings/blob-store.ts';
import {
  encryptPackage,
  packTar,
  signPackage,
  type ExportRecipient,
  type ExportSigner,
  type Manifest,
} from './authority-export.ts';
import { AuthoritySearch, type SearchResult } from './authority-search.ts';
import {
  renderCoverLetterHtml,
  renderCoverLetterPdf,
  type CoverLetter,
} from '../reports/authority-cover-letter.ts';
import { ipPortWindow, type RecordQueryService } from '../telecom/query/record-query.service.ts';
import { stringify } from 'csv-stringify/sync';

const DOCUMENT_MAX_BYTES = 5 * 1024 * 1024;

const intakeValidator = Compile(NewAuthorityRequest);
const decisionValidator = Compile(Decision);

/** Which states each step may start from. */
const FROM: Record<string, readonly RequestState[]> = {
  validate: ['received'],
  results: ['searching'],
  approve: ['received', 'validating'],
  reject: ['received', 'validating'],
  search: ['approved', 'results_ready'],
  deliver: ['results_ready'],
  close: ['delivered'],
  cancel: ['received', 'validating', 'approved', 'results_ready'],
  link_court_order: ['received', 'validating', 'approved', 'searching', 'results_ready', 'delivered'],
};

export interface AuthorityRequestDeps {
  policy: () => Policy;
  now: () => Date;
  holds: LegalHoldService;
  accounts: AccountService;
  people: PersonService;
  telecomQuery: RecordQueryService;
  /** For the plain secrecy flag read before a session opens. */
  db: Db;
  /** Sigilo's Ed25519 key: signs export manifests. */
  signer: ExportSigner;
  dialect: StoreDialect;
  /** Where order documents are stored, sealed (the recordings blob store). */
  blobs: BlobStore;
}

/** A built answer package. */
export interface BuiltPackage {
  /** The age-encrypted tar. */
  bytes: Buffer;
  sha256: string;
  manifest: Manifest;
  found: { category: string; count: number }[];
}

async function streamToBuffer(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** Validates an input against a compiled schema, with the first problem's path. */
export function parseInput<T>(
  validator: {
    Check(v: unknown): boolean;
    Errors(v: unknown): readonly { instancePath: string; message: string }[];
  },
  value: unknown,
  root: string,
): T {
  if (validator.Check(value)) return value as T;
  const errors = validator.Errors(value);
  const first = errors[0];
  throw new SigiloError('VALIDATION_FAILED', `${root}: ${first?.message ?? 'invalid input'}`, {
    path: `${root}${first?.instancePath.replace(/\//g, '.') ?? ''}`,
    issues: errors.slice(0, 20).map((e) => ({ path: e.instancePath, message: e.message })),
  });
}

/** What the access log says of a decision's reasons: they are staff free text, kept sealed in the history. */
const SEALED_REASONS = "reasons in the request's history";

/** A decision's body, its reasons refused when they hold an identifier or a sensitive category. */
function decisionOf(raw: unknown, root: string): { reasons: string } {
  const d = parseInput<{ reasons: string }>(decisionValidator, raw, root);
  refuseSensitiveText(d.reasons, `${root}.reasons`);
  return d;
}

/** The authority-request workflow. */
export class AuthorityRequestService {
  readonly repo: AuthorityRequestRepository;

  private readonly search: AuthoritySearch;

  constructor(private readonly deps: AuthorityRequestDeps) {
    this.repo = new AuthorityRequestRepository(deps.dialect);
    this.search = new AuthoritySearch(deps.telecomQuery);
  }

  private nowIso(): string {
    return this.deps.now().toISOString();
  }

  /** Who works requests (`authority_request.work`) or sees the monthly counts (no targets in them): the policy. */
  private assertRole(s: { ctx: AccessContext }, duty: Duty, what: string): void {
    requireDuty(this.deps.policy(), s.ctx.role, duty, what);
  }

  /**
   * The context to work request `id` in (or a new request whose `secret` flag is given): a secret request's steps
   * are written under legal secrecy, so the subjects' views of the log never show them. Reads a plain flag only.
   */
  async contextFor(ctx: AccessContext, request: string | { secret?: unknown }): Promise<AccessContext> {
    const secret =
      typeof request === 'string'
        ? Number((await this.repo.get(this.deps.db, request))?.secret ?? 0) === 1
        : request.secret === true;
    return secret ? { ...ctx, legalSecrecy: true } : ctx;
  }

  /**
   * Records a new request after checking it against the rules; a refusal is logged with its rule's code. A
   * preservation request creates its legal holds (Marco Civil 60-day clock) in the same transaction.
   */
  async create(s: GateSession, raw: unknown): Promise<AuthorityRequestViewOut> {
    this.assertRole(s, 'authority_request.work', 'record authority requests');
    // The purpose before the rules: a caller without it learns nothing of what the rules would say.
    s.demand(AUTHORITY_REQUEST_CATEGORY, 'write', 'authority_request.intake');
    const input = parseInput<NewAuthorityRequestInput>(intakeValidator, raw, 'request');
    let checked;
    try {
      checked = checkRequest(input, this.deps.policy(), this.deps.now());
    } catch (err) {
      if (isSigiloError(err) && err.code.startsWith('AUTHORITY_')) refuseStep(s, null, 'intake', err);
      throw err;
    }
    this.assertSecrecy(s, input.secret === true);
    let document: Buffer | null = null;
    if (input.document) {
      document = Buffer.from(input.document.base64, 'base64');
      if (document.length === 0 || document.length > DOCUMENT_MAX_BYTES) {
        throw new SigiloError('VALIDATION_FAILED', `the order document must be 1 byte to 5 MiB`, {
          path: 'request.document.base64',
        });
      }
    }
    const subjectId = await s.newSubject('authority_request');
    const now = this.nowIso();
    const id = subjectId;
    const sha256 = document ? createHash('sha256').update(document).digest('hex') : null;
    // Sealed and stored before the row: the row never names a blob that is not there. A rolled-back intake
    // removes the blob again (a crash between the two leaves an unreferenced sealed blob, unreadable once the
    // request's subject has no key).
    const sealed = document ? await sealOrderDocument(s, id, subjectId, sha256!, document) : null;
    if (sealed) await this.deps.blobs.put(sealed.blobKey, Readable.from([sealed.blob]));
    try {
      await s.insert('authorityRequests', {
        id,
        subjectId,
        plain: {
          external_reference: input.externalReference.trim(),
          country: input.country ?? 'BR',
          authority_name: input.authority.name.trim(),
          authority_type: input.authority.type,
          order_legal_basis: input.legalBasis.trim(),
          court_order_ref: input.courtOrderRef?.trim() ?? null,
          request_types: JSON.stringify([...input.requestTypes].sort()),
          categories: JSON.stringify(checked.categories),
          target_count: checked.targets.length,
          window_from: checked.window.from,
          window_to: checked.window.to,
          deadline: new Date(Date.parse(input.deadline)).toISOString(),
          urgent: input.urgent ? 1 : 0,
          secret: input.secret ? 1 : 0,
          state: 'received',
          document_content_type: input.document?.contentType ?? null,
          document_sha256: sha256,
          document_blob_key: sealed?.blobKey ?? null,
          document_size: document?.length ?? null,
          hold_ids: '[]',
          package_sha256: null,
          created_by: s.ctx.actor,
          approved_by: null,
          approved_at: null,
          delivered_at: null,
          closed_at: null,
        },
        sealed: {
          targets: checked.targets,
          ...(input.contact ? { contact: input.contact } : {}),
        },
        source: 'staff',
      });
      await writeEvent(
        s,
        subjectId,
        { requestId: id, kind: 'received', at: now, actor: s.ctx.actor },
        {
          requestTypes: input.requestTypes,
          categories: checked.categories,
          targetCount: checked.targets.length,
          retentionNotes: checked.retentionNotes,
        },
      );
      if (input.requestTypes.includes('preservation')) {
        await this.preserve(s, id, subjectId, input, checked.targets, checked.categories, checked.window);
      }
    } catch (err) {
      if (sealed) await this.deps.blobs.delete(sealed.blobKey).catch(() => undefined);
      throw err;
    }
    return this.view(await this.load(s, id));
  }

  /**
   * Creates one legal hold per resolvable target (accounts, CPF/CNPJ holders, number holders, and the accounts
   * whose connection or access records show an IP + port in use at the instant — held over the span those records
   * are searched in, so retention keeps exactly them).
   */
  private async preserve(
    s: GateSession,
    id: string,
    subjectId: string,
    input: NewAuthorityRequestInput,
    targets: Target[],
    categories: string[],
    window: { from: string | null; to: string | null },
  ): Promise<void> {
    const requested = categories.filter((c) =>
      ['connection_record', 'access_record', 'call_record'].includes(c),
    );
    interface Scope {
      kind: 'account' | 'person';
      categories: Set<string>;
      window: { from: string | null; to: string | null };
    }
    const scopes = new Map<string, Scope>();
    const add = (scopeId: string, kind: Scope['kind'], cats: readonly string[], w: Scope['window']): void => {
      const had = scopes.get(scopeId);
      if (!had) {
        scopes.set(scopeId, { kind, categories: new Set(cats), window: w });
        return;
      }
      for (const c of cats) had.categories.add(c);
      // Two spans for one scope: one hold over both (erring on keeping).
      had.window = {
        from:
          had.window.from === null || w.from === null
            ? null
            : w.from < had.window.from
              ? w.from
              : had.window.from,
        to: had.window.to === null || w.to === null ? null : w.to > had.window.to ? w.to : had.window.to,
      };
    };
    let resolved = 0;
    for (const t of targets) {
      const found: [string, Scope['kind'], readonly string[], Scope['window']][] = [];
      if (t.kind === 'account') found.push([t.id, 'account', requested, window]);
      if (t.kind === 'tax_id')
        for (const a of await this.deps.accounts.findByTaxId(s, t.value))
          found.push([a.id, 'account', requested, window]);
      if (t.kind === 'number')
        for (const p of await this.deps.people.findByContact(s, 'phone', t.value))
          found.push([p.id, 'person', requested, window]);
      if (t.kind === 'ip') {
        const kinds = [
          ['connection', 'connection_record'],
          ['access', 'access_record'],
        ] as const;
        for (const [kind, category] of kinds) {
          if (!requested.includes(category)) continue;
          for (const a of await this.deps.telecomQuery.accountsAtIpPort(s, kind, t.ip, t.port, t.at))
            found.push([a, 'account', [category], ipPortWindow(kind, t.at)]);
        }
      }
      for (const f of found) add(...f);
      if (found.length) resolved++;
    }
    const ids: string[] = [];
    for (const [scopeId, scope] of scopes) {
      const w = scope.window;
      const hold = await this.deps.holds.create(
        s.ctx,
        {
          kind: 'preservation',
          scope: { kind: scope.kind, id: scopeId },
          categories: [...scope.categories].sort(),
          ...(w.from || w.to
            ? { window: { ...(w.from ? { from: w.from } : {}), ...(w.to ? { to: w.to } : {}) } }
            : {}),
          // The reference goes in its own field: the reason (guarded for identifiers) is Sigilo's own words.
          reason: 'Requisição de preservação de autoridade (referência em authorityRequestRef)',
          authorityRequestRef: input.externalReference.trim(),
          ...(input.courtOrderRef ? { courtRequestRef: input.courtOrderRef.trim() } : {}),
          ...(input.requestedAt ? { requestedAt: input.requestedAt } : {}),
        },
        s.tx,
      );
      ids.push(hold.id);
    }
    await s.update('authorityRequests', id, { plain: { hold_ids: JSON.stringify(ids) } });
    await writeEvent(
      s,
      subjectId,
      { requestId: id, kind: 'hold_created', at: this.nowIso(), actor: s.ctx.actor },
      { holds: ids, unresolvedTargets: targets.length - resolved },
    );
    logStep(s, subjectId, 'preserve', `legal holds created: ${ids.length}`);
  }

  /** One request (its plain fields; reading it is logged). */
  async get(s: GateSession, id: string): Promise<AuthorityRequestViewOut> {
    this.assertRole(s, 'authority_request.work', 'read authority requests');
    return this.view(await this.load(s, id));
  }

  /** The request's targets, opened through the gate. */
  async targets(s: GateSession, id: string): Promise<Target[]> {
    this.assertRole(s, 'authority_request.work', 'read authority requests');
    const row = await this.load(s, id);
    const [opened] = await s.find('authorityRequests', {
      where: { id },
      subjectId: row.subject_id,
      fields: ['targets'],
    });
    return (opened?.fields.targets ?? []) as Target[];
  }

  /** The attached order document, opened through the gate (from the blob store, or inline for older requests). */
  async document(s: GateSession, id: string): Promise<{ contentType: string; bytes: Buffer } | null> {
    this.assertRole(s, 'authority_request.work', 'read authority requests');
    const row = await this.load(s, id);
    if (!row.document_content_type) return null;
    if (row.document_blob_key) {
      const blob = await streamToBuffer(await this.deps.blobs.get(row.document_blob_key));
      const bytes = await openOrderDocument(
        s,
        {
          requestId: row.id,
          subjectId: row.subject_id,
          sha256: row.document_sha256 ?? '',
          size: Number(row.document_size),
        },
        blob,
      );
      return { contentType: row.document_content_type, bytes };
    }
    const [opened] = await s.find('authorityRequests', {
      where: { id },
      subjectId: row.subject_id,
      fields: ['document'],
    });
    const b64 = opened?.fields.document;
    return typeof b64 === 'string'
      ? { contentType: row.document_content_type, bytes: Buffer.from(b64, 'base64') }
      : null;
  }

  /** Requests newest first, by state; `overdue` lists those past their deadline and not done, oldest deadline first. */
  async list(
    s: GateSession,
    filter: { state?: string; overdue?: boolean; limit?: number } = {},
  ): Promise<AuthorityRequestViewOut[]> {
    this.assertRole(s, 'authority_request.work', 'read authority requests');
    s.demand(AUTHORITY_REQUEST_CATEGORY, 'read', 'authority_request.list');
    const rows = await this.repo.list(s.tx, {
      ...(filter.state ? { state: filter.state } : {}),
      ...(filter.overdue ? { overdueAt: this.nowIso() } : {}),
      ...(filter.limit ? { limit: filter.limit } : {}),
    });
    return rows.map((r) => this.view(r));
  }

  /** Requests per month and authority type, for the DPO: no target, no reference. */
  async monthlyCounts(
    ctx: AccessContext,
  ): Promise<{ month: string; authorityType: string; count: number }[]> {
    this.assertRole({ ctx }, 'authority_request.read_counts', 'read authority-request counts');
    return this.repo.monthlyCounts(this.deps.db);
  }

  /** The Ed25519 public key answer packages are signed with (to publish for verify-export). */
  signingPublicKey(): Buffer {
    return this.deps.signer.signingPublicKey;
  }

  /** The request's history, oldest first (no personal data in it). */
  async history(
    s: GateSession,
    id: string,
  ): Promise<{ kind: string; at: string; actor: string; details: unknown }[]> {
    this.assertRole(s, 'authority_request.work', 'read authority requests');
    const row = await this.load(s, id);
    return readEvents(s, row.subject_id, id);
  }

  /** received → validating: the legal team starts checking the order. */
  async startValidation(s: GateSession, id: string): Promise<AuthorityRequestViewOut> {
    return this.step(s, id, 'validate', 'validating', 'validation started');
  }

  /**
   * Approves the release (four-eyes): a second member of the legal team, never the creator. The decision and its
   * reasons are written to the request's history (sealed); the access log records the decision, not the free text.
   */
  async approve(s: GateSession, id: string, raw: unknown): Promise<AuthorityRequestViewOut> {
    const { reasons } = decisionOf(raw, 'decision');
    this.assertRole(s, 'authority_request.work', 'approve authority requests');
    const row = await this.load(s, id, true);
    if (row.created_by === s.ctx.actor) {
      refuseStep(
        s,
        row.subject_id,
        'approve',
        new SigiloError('AUTHORITY_FOUR_EYES', 'the creator of a request cannot approve it', {
          rule: 'four_eyes',
          legalSource: 'LGPD Art. 46 e Art. 50 §2º (boas práticas de governança); SPEC §7',
        }),
      );
    }
    return this.step(
      s,
      id,
      'approve',
      'approved',
      `approved; ${SEALED_REASONS}`,
      { reasons },
      {
        approved_by: s.ctx.actor,
        approved_at: this.nowIso(),
      },
    );
  }

  /** Rejects the request with its reasons (logged). */
  async reject(s: GateSession, id: string, raw: unknown): Promise<AuthorityRequestViewOut> {
    const { reasons } = decisionOf(raw, 'decision');
    return this.step(s, id, 'reject', 'rejected', `rejected; ${SEALED_REASONS}`, { reasons });
  }

  /** Cancels the request (the authority withdrew it, or it was recorded by mistake). */
  async cancel(s: GateSession, id: string, raw: unknown): Promise<AuthorityRequestViewOut> {
    const { reasons } = decisionOf(raw, 'decision');
    return this.step(
      s,
      id,
      'cancel',
      'cancelled',
      `cancelled; ${SEALED_REASONS}`,
      { reasons },
      { closed_at: this.nowIso() },
    );
  }

  /** results_ready → delivered: the package went to the authority (how, in `note`; no personal data). */
  async deliver(s: GateSession, id: string, raw: unknown): Promise<AuthorityRequestViewOut> {
    const { reasons } = decisionOf(raw, 'delivery');
    const row = await this.load(s, id);
    if (!row.package_sha256) {
      throw new SigiloError('AUTHORITY_REQUEST_STATE', 'no package was built for this request', {
        state: row.state,
      });
    }
    return this.step(
      s,
      id,
      'deliver',
      'delivered',
      `delivered package ${row.package_sha256}; ${SEALED_REASONS}`,
      { reasons, packageSha256: row.package_sha256 },
      {
        delivered_at: this.nowIso(),
      },
    );
  }

  /** delivered → closed. */
  async close(s: GateSession, id: string): Promise<AuthorityRequestViewOut> {
    return this.step(s, id, 'close', 'closed', 'closed', {}, { closed_at: this.nowIso() });
  }

  /**
   * Links the court order that followed a preservation request: recorded on the request, then registered on each
   * of its holds so they no longer lapse after 60 days. The hold API opens its own transaction, so this command
   * runs two: the request change through the gate, then the holds.
   */
  async linkCourtOrder(
    gate: Pick<Gate, 'run'>,
    ctx: AccessContext,
    id: string,
    courtOrderRef: string,
  ): Promise<AuthorityRequestViewOut> {
    const ref = courtOrderRef.trim();
    if (!ref || ref.length > 200) {
      throw new SigiloError('VALIDATION_FAILED', 'courtOrderRef must be 1 to 200 characters', {
        path: 'courtOrderRef',
      });
    }
    const { view, holds } = await gate.run(await this.contextFor(ctx, id), async (s) => {
      const row = await this.load(s, id, true);
      const v = await this.step(
        s,
        id,
        'link_court_order',
        row.state as RequestState,
        `court order linked`,
        { holds: JSON.parse(row.hold_ids ?? '[]') as string[] },
        {
          court_order_ref: ref,
        },
      );
      return { view: v, holds: v.holdIds };
    });
    for (const holdId of holds) {
      const hold = await this.deps.holds.get(ctx, holdId);
      if (hold.status === 'active' && !hold.courtRequestRef)
        await this.deps.holds.registerCourtRequest(ctx, holdId, { ref });
    }
    return view;
  }

  /**
   * Runs the objective search of an approved request and builds its answer package: data (JSON and CSV per
   * category), the cover letter (HTML and PDF), the signed manifest, all in one tar encrypted for the recipient.
   * approved | results_ready → searching → results_ready; the package's digest is kept, its contents are not.
   */
  async buildPackage(
    s: GateSession,
    id: string,
    to: ExportRecipient,
    options: { onFirstResult?: () => void } = {},
  ): Promise<BuiltPackage> {
    const row = await this.load(s, id, true);
    await this.step(s, id, 'search', 'searching', 'search started');
    const targets = await this.targets(s, id);
    const categories = JSON.parse(row.categories ?? '[]') as string[];
    const result = await this.search.run(
      s,
      { targets, categories, window: { from: row.window_from, to: row.window_to } },
      options.onFirstResult,
    );
    const createdAt = this.nowIso();
    const received = (await readEvents(s, row.subject_id, id)).find((e) => e.kind === 'received');
    const notes =
      (
        (received?.details ?? {}) as {
          retentionNotes?: { category: string; retainedFrom: string }[];
        }
      ).retentionNotes ?? [];
    const files = await this.packageFiles(row, targets, result, createdAt, notes);
    const manifest = signPackage(
      files,
      {
        requestId: {
          countryCode: row.country ?? 'BR',
          authorisedOrganisationId: row.authority_name ?? '',
          requestNumber: row.external_reference ?? '',
        },
        sigiloRequestId: id,
        createdAt,
      },
      this.deps.signer,
    );
    const bytes = await encryptPackage(await packTar(files, new Date(createdAt)), to);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const found = result.categories.map((c) => ({ category: c.category, count: c.rows.length }));
    await this.step(
      s,
      id,
      'results',
      'results_ready',
      `package ${sha256}: ${found.map((f) => `${f.category}=${f.count}`).join(', ')}`,
      { found, packageSha256: sha256, recipient: 'recipient' in to ? 'x25519' : 'passphrase' },
      { package_sha256: sha256 },
    );
    return { bytes, sha256, manifest, found };
  }

  private async packageFiles(
    row: PlainRequestRow,
    targets: Target[],
    result: SearchResult,
    issuedAt: string,
    notes: { category: string; retainedFrom: string }[],
  ): Promise<Map<string, Buffer>> {
    const policy = this.deps.policy();
    const label = (c: string): string => policy.categories.find((x) => x.id === c)?.label.pt ?? c;
    const files = new Map<string, Buffer>();
    for (const c of result.categories) {
      files.set(
        `dados/${c.category}.json`,
        Buffer.from(
          `${JSON.stringify({ category: c.category, label: label(c.category), rows: c.rows }, null, 2)}\n`,
        ),
      );
      files.set(`dados/${c.category}.csv`, Buffer.from(toCsv(c.rows)));
    }
    const letter: CoverLetter = {
      controller: policy.controller.name,
      authority: { name: row.authority_name ?? '', type: row.authority_type ?? '' },
      externalReference: row.external_reference ?? '',
      requestId: {
        country: row.country ?? 'BR',
        authority: row.authority_name ?? '',
        number: row.external_reference ?? '',
      },
      courtOrderRef: row.court_order_ref,
      legalBasis: row.order_legal_basis ?? '',
      window: { from: row.window_from, to: row.window_to },
      targets: targets.map(targetText),
      categories: result.categories.map((c) => {
        const notHeld = result.searched.every((x) => x.category !== c.category || x.note === 'not_held');
        return {
          id: c.category,
          label: label(c.category),
          found: c.rows.length,
          ...(notHeld ? { note: 'not_held' } : {}),
        };
      }),
      retentionNotes: notes.map((n) => ({ label: label(n.category), retainedFrom: n.retainedFrom })),
      approvedBy: row.approved_by,
      issuedAt,
      secret: Number(row.secret) === 1,
    };
    files.set('carta.html', Buffer.from(renderCoverLetterHtml(letter)));
    files.set('carta.pdf', await renderCoverLetterPdf(letter));
    return files;
  }

  // ---- internals -------------------------------------------------------------------------------------------

  /** Loads a request's plain row; reading it is itself logged through the gate. */
  async load(s: GateSession, id: string, forUpdate = false): Promise<PlainRequestRow> {
    // Asked before the lookup: under another purpose a guessed id and a real one answer alike (logged).
    s.demand(AUTHORITY_REQUEST_CATEGORY, 'read', 'authority_request.read');
    const row = await this.repo.get(s.tx, id, forUpdate);
    if (!row)
      throw new SigiloError('NOT_FOUND', 'authority request not found', { resource: 'authority_request' });
    this.assertSecrecy(s, Number(row.secret) === 1);
    // An empty field list still needs read on the request's category: the read is logged against its subject.
    await s.find('authorityRequests', { where: { id }, subjectId: row.subject_id, fields: [] });
    return row;
  }

  /** A secret request is only ever worked in a context under legal secrecy (see `contextFor`). */
  private assertSecrecy(s: GateSession, secret: boolean): void {
    // A programming error at an edge, not bad input: an unmarked entry about a secret request would reach the
    // subject's access history.
    if (secret && !s.ctx.legalSecrecy)
      throw new Error('a secret authority request needs a context under legal secrecy');
  }

  /** Moves the request from an allowed state to `to`, logging the step and its history event. */
  async step(
    s: GateSession,
    id: string,
    step: keyof typeof FROM,
    to: RequestState,
    reason: string,
    details: object = {},
    plain: Record<string, unknown> = {},
  ): Promise<AuthorityRequestViewOut> {
    this.assertRole(s, 'authority_request.work', `${step.replace(/_/g, ' ')} authority requests`);
    const row = await this.load(s, id, true);
    const allowed = FROM[step] ?? [];
    if (!allowed.includes(row.state as RequestState)) {
      refuseStep(
        s,
        row.subject_id,
        step,
        new SigiloError(
          'AUTHORITY_REQUEST_STATE',
          `the step ${step} is not allowed for a request that is ${row.state}`,
          {
            state: row.state,
            step,
            allowedFrom: allowed,
          },
        ),
      );
    }
    await s.update('authorityRequests', id, { plain: { state: to, ...plain } });
    await writeEvent(
      s,
      row.subject_id,
      {
        requestId: id,
        kind: step === 'link_court_order' ? 'court_order_linked' : to,
        at: this.nowIso(),
        actor: s.ctx.actor,
      },
      { from: row.state, ...details },
    );
    logStep(s, row.subject_id, step, reason);
    return this.view((await this.repo.get(s.tx, id))!);
  }

  /** The view of a plain row. */
  view(r: PlainRequestRow): AuthorityRequestViewOut {
    return {
      id: r.id,
      requestId: {
        country: r.country ?? 'BR',
        authority: r.authority_name ?? '',
        number: r.external_reference ?? '',
      },
      authority: { name: r.authority_name ?? '', type: r.authority_type ?? '' },
      legalBasis: r.order_legal_basis ?? '',
      courtOrderRef: r.court_order_ref,
      requestTypes: JSON.parse(r.request_types ?? '[]') as string[],
      categories: JSON.parse(r.categories ?? '[]') as string[],
      targetCount: Number(r.target_count),
      window: { from: r.window_from, to: r.window_to },
      deadline: r.deadline,
      overdue: r.deadline < this.nowIso() && !DONE_STATES.includes(r.state),
      urgent: Number(r.urgent) === 1,
      secret: Number(r.secret) === 1,
      state: r.state as RequestState,
      holdIds: JSON.parse(r.hold_ids ?? '[]') as string[],
      hasDocument: r.document_content_type !== null,
      packageSha256: r.package_sha256,
      createdBy: r.created_by,
      createdAt: r.created_at,
      approvedBy: r.approved_by,
      approvedAt: r.approved_at,
      deliveredAt: r.delivered_at,
      closedAt: r.closed_at,
    };
  }
}

/** A target as the letter names it. */
function targetText(t: Target): string {
  switch (t.kind) {
    case 'number':
      return `número ${t.value}`;
    case 'account':
      return `conta ${t.id}`;
    case 'tax_id':
      return `${t.value.length === 11 ? 'CPF' : 'CNPJ'} ${t.value}`;
    case 'ip':
      return `IP ${t.ip}${t.port !== null ? `, porta ${t.port}` : ''}, em ${t.at}`;
  }
}

/** Rows as CSV: one column per field seen; nested values as JSON; spreadsheet formulas neutralised. */
function toCsv(rows: Record<string, unknown>[]): string {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: unknown): string => {
    if (v === null || v === undefined) return '';
    const text = typeof v === 'string' ? v : JSON.stringify(v);
    return /^[=+\-@\t\r]/.test(text) && !/^[+-]?\d/.test(text) ? `'${text}` : text;
  };
  if (columns.length === 0) return '';
  return stringify(
    rows.map((r) => columns.map((c) => cell(r[c]))),
    { header: true, columns, record_delimiter: 'unix' },
  );
}
