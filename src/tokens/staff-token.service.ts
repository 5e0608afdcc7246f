/**
 * Staff bearer tokens: 256 random bits with a `sgl_` prefix (so secret scanners recognise them), shown once,
 * stored only as a SHA-256 hash with the role they grant, an expiry and a revocation mark. Tokens are not personal
 * data, so they do not pass the gate; but who may obtain which role is the policy's business (issue 13 §3): the
 * role's `issuance` decides whether an administrator issues it alone, a DPO must approve it, or only the identity
 * provider or the server's CLI may produce it. Every issuance, request, approval, refusal and revocation is an
 * access-log entry (never the token, never its label) and an application-log line.
 */
import { hash } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import type { AccessLogEntry } from '../access-log/access-log.entry.ts';
import type { AccessLogWriter } from '../access-log/access-log.writer.ts';
import { randomToken } from '../crypto/random.ts';
import { SigiloError, type ErrorCode } from '../errors.ts';
import { covers, evaluate, issuanceOf } from '../policy/policy.evaluate.ts';
import type { Policy } from '../policy/policy.schema.ts';
import type { Store, Tx } from '../store/store.ts';
import type { StaffTokenRow } from '../store/tables/staff-token.table.ts';
import type { TokenLabels } from './sealing/token-labels.ts';
import { StaffTokenRepository } from './staff-token.repository.ts';

/** Every staff token starts with this, followed by 43 base64url characters (32 random bytes). */
export const TOKEN_PREFIX = 'sgl_';
const TOKEN_SHAPE = /^sgl_[A-Za-z0-9_-]{43}$/;
const LABEL_MAX = 100;
const DAY_MS = 86_400_000;
/** Tokens remembered at most (a few per staff member and platform; the oldest goes first). */
const CACHE_LIMIT = 10_000;

export type TokenStatus = StaffTokenRow['status'];

/** What a listing shows about a token (never the token or its hash). */
export interface StaffTokenInfo {
  id: string;
  role: string;
  label: string;
  /** `active`, `pending` (awaiting a DPO's approval) or `rejected`. */
  status: TokenStatus;
  createdBy: string;
  createdAt: string;
  expiresAt: string;
  /** Who approved or rejected a pending token, and when. */
  decidedBy: string | null;
  decidedAt: string | null;
  revokedAt: string | null;
  revokedBy: string | null;
}

/** Who a valid token speaks for. */
export interface TokenPrincipal {
  /** Stable, non-personal actor id written to the access log: `token:<id>`. */
  actor: string;
  role: string;
  tokenId: string;
  expiresAt: string;
}

/** Who asks for a token change, and in which request (for the access log). */
export interface TokenActor {
  actor: string;
  role: string;
  requestId: string;
}

/** The part of a pino logger the service writes to. */
export interface AppLog {
  info(obj: Record<string, unknown>, msg: string): void;
}

export interface StaffTokenOptions {
  /** Validity of a new token when the caller gives none. */
  defaultTtlDays: number;
  /** Where issuance, approval, refusal and revocation are recorded. */
  accessLog: Pick<AccessLogWriter, 'append'>;
  /** Seals and opens the tokens' labels (free text). */
  labels: TokenLabels;
  log?: AppLog;
  /**
   * How long a token row read from the database answers for that token without reading it again (default 0:
   * every request reads it). A revocation, approval or rejection through this service takes effect at once;
   * one through another instance or the CLI within this time (SIGILO_TOKEN_CACHE_MS, docs/security.md).
   */
  cacheMs?: number;
  /** Monotonic milliseconds for the cache (tests); the policy clock `now` may stand still or jump. */
  monotonicMs?: () => number;
}

/** Creates, lists, approves, revokes and checks staff tokens. */
export class StaffTokenService {
  private readonly repo = new StaffTokenRepository();
  // Token rows by token hash, with the monotonic time until which each may be used without a read. Only the row
  // is cached: every check (revoked, approval, policy, expiry) runs on each request as before.
  private readonly cache = new Map<string, { row: StaffTokenRow; until: number }>();
  private generation = 0;

  constructor(
    private readonly store: Store,
    private readonly policy: () => Policy,
    private readonly now: () => Date,
    private readonly options: StaffTokenOptions,
  ) {}

  /**
   * Issues a token on the server itself (the CLI, whose user already holds the master key): any role of the
   * policy, active at once. The token is returned here and nowhere else.
   */
  async create(input: {
    role: string;
    label: string;
    createdBy: string;
    ttlDays?: number;
    requestId?: string;
  }): Promise<{ token: string; info: StaffTokenInfo }> {
    const by: TokenActor = {
      actor: input.createdBy,
      role: 'system',
      requestId: input.requestId ?? `cli:${uuidv7()}`,
    };
    return this.insert(input, by, 'server', 'active');
  }

  /**
   * Issues or requests a token over HTTP for `by` (an administrator): a role the policy lets an administrator
   * issue alone is active at once; one that needs a DPO's approval is created `pending` (the token is shown now
   * and works once approved); any other role is refused with ROLE_NOT_ISSUABLE.
   */
  async request(
    input: { role: string; label: string; ttlDays?: number },
    by: TokenActor,
  ): Promise<{ token: string; info: StaffTokenInfo }> {
    const policy = this.policy();
    const issuance = issuanceOf(policy, input.role);
    if (issuance === undefined) this.unknownRole();
    if (issuance === 'admin' && covers(policy, by.role, input.role)) {
      return this.insert(input, by, 'http', 'active');
    }
    if (issuance === 'dpo_approval' || issuance === 'admin') {
      return this.insert(input, by, 'http', 'pending');
    }
    return this.refuse(
      by,
      'token.issue',
      'ROLE_NOT_ISSUABLE',
      issuance === 'server'
        ? `role '${input.role}' is issued only by the CLI on the server`
        : `role '${input.role}' comes only from the identity provider's groups`,
      { role: input.role, issuance },
    );
  }

  /** Active and pending tokens, or every token with `includeInactive`; `status` narrows the list. */
  async list(options: { includeInactive?: boolean; status?: TokenStatus } = {}): Promise<StaffTokenInfo[]> {
    const rows = await this.repo.list(this.store.db, {
      includeInactive: options.includeInactive ?? false,
      now: this.now().toISOString(),
      ...(options.status ? { status: options.status } : {}),
    });
    return this.infos(rows);
  }

  /** The shown form of token rows, with their labels opened. */
  private async infos(rows: StaffTokenRow[]): Promise<StaffTokenInfo[]> {
    const labels = await this.options.labels.read(
      this.store.db,
      rows.map((r) => r.id),
    );
    return rows.map((r) => toInfo(r, labels.get(r.id) ?? ''));
  }

  /**
   * Approves a pending token: only the DPO role, never the requester. The token's validity starts now. Refusals
   * are logged; NOT_FOUND when unknown, CONFLICT when it is not pending (or its request lapsed).
   */
  async approve(id: string, by: TokenActor): Promise<StaffTokenInfo> {
    return this.decide(id, by, 'approve');
  }

  /** Rejects a pending token (same rules as `approve`); a rejected token never works. */
  async reject(id: string, by: TokenActor): Promise<StaffTokenInfo> {
    return this.decide(id, by, 'reject');
  }

  /** Revokes a token at once (a pending one too); NOT_FOUND when unknown, CONFLICT when already revoked. */
  async revoke(id: string, revokedBy: string | TokenActor): Promise<StaffTokenInfo> {
    const by: TokenActor =
      typeof revokedBy === 'string'
        ? { actor: revokedBy, role: 'system', requestId: `cli:${uuidv7()}` }
        : revokedBy;
    const at = this.now().toISOString();
    this.forget(id);
    const row = await this.store.transaction(async (tx) => {
      if (!(await this.repo.revoke(tx, id, at, by.actor))) return undefined;
      const revoked = (await this.repo.byId(tx, id))!;
      await this.record(tx, by, 'token.revoke', 'allowed', `token ${id} role ${revoked.role}`);
      return revoked;
    });
    // Again after the commit: a request that read the row while the revocation was under way cached it.
    this.forget(id);
    if (!row) {
      const existing = await this.repo.byId(this.store.db, id);
      if (!existing) throw new SigiloError('NOT_FOUND', 'token not found', { resource: 'token' });
      throw new SigiloError('CONFLICT', 'token is already revoked', { resource: 'token' });
    }
    this.options.log?.info(
      { event: 'token.revoked', tokenId: id, revokedBy: by.actor },
      'staff token revoked',
    );
    return (await this.infos([row]))[0]!;
  }

  /**
   * Checks a presented token: UNAUTHENTICATED, TOKEN_REVOKED, TOKEN_NOT_APPROVED or TOKEN_EXPIRED, else who it
   * speaks for. The role's issuance is checked against the policy in force, so a token an administrator minted
   * alone for a role that needs approval does not work, whenever it was minted.
   */
  async authenticate(token: string): Promise<TokenPrincipal> {
    if (!TOKEN_SHAPE.test(token)) throw new SigiloError('UNAUTHENTICATED', 'the bearer token is not valid');
    const row = await this.tokenRow(hashToken(token));
    if (!row) throw new SigiloError('UNAUTHENTICATED', 'the bearer token is not valid');
    if (row.revoked_at !== null) throw new SigiloError('TOKEN_REVOKED', 'the bearer token was revoked');
    if (row.status === 'pending') {
      throw new SigiloError('TOKEN_NOT_APPROVED', 'the bearer token awaits approval by the DPO');
    }
    if (row.status === 'rejected' || !issuedAsPolicyRequires(this.policy(), row)) {
      throw new SigiloError('TOKEN_NOT_APPROVED', 'the bearer token was not approved for its role');
    }
    if (row.expires_at <= this.now().toISOString()) {
      throw new SigiloError('TOKEN_EXPIRED', 'the bearer token has expired');
    }
    return { actor: `token:${row.id}`, role: row.role, tokenId: row.id, expiresAt: row.expires_at };
  }

  // ---- internals -----------------------------------------------------------------------------------------

  /** The token's row, from the cache while it is fresh; unknown tokens are never cached (a revoked one is). */
  private async tokenRow(tokenHash: string): Promise<StaffTokenRow | undefined> {
    const ttl = this.options.cacheMs ?? 0;
    if (ttl === 0) return this.repo.byHash(this.store.db, tokenHash);
    const clock = this.options.monotonicMs ?? (() => performance.now());
    const hit = this.cache.get(tokenHash);
    if (hit && hit.until > clock()) return hit.row;
    const generation = this.generation;
    const row = await this.repo.byHash(this.store.db, tokenHash);
    this.cache.delete(tokenHash);
    // A change through this service while the read was under way may be newer than the row read: not cached.
    if (row && generation === this.generation) {
      if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(tokenHash, { row, until: clock() + ttl });
    }
    return row;
  }

  /** Drops a token from the cache before a change to it (revoke, approve, reject). */
  private forget(id: string): void {
    this.generation++;
    for (const [hash, entry] of this.cache) if (entry.row.id === id) this.cache.delete(hash);
  }

  private async insert(
    input: { role: string; label: string; ttlDays?: number },
    by: TokenActor,
    via: StaffTokenRow['issued_via'],
    status: 'active' | 'pending',
  ): Promise<{ token: string; info: StaffTokenInfo }> {
    if (issuanceOf(this.policy(), input.role) === undefined) this.unknownRole();
    const label = input.label.trim();
    if (label.length === 0 || label.length > LABEL_MAX || /\p{Cc}/u.test(label)) {
      throw new SigiloError('VALIDATION_FAILED', `label must be 1 to ${LABEL_MAX} printable characters`, {
        path: 'label',
      });
    }
    const ttlDays = input.ttlDays ?? this.options.defaultTtlDays;
    if (!Number.isInteger(ttlDays) || ttlDays < 1 || ttlDays > 366) {
      throw new SigiloError('VALIDATION_FAILED', 'ttlDays must be a whole number of days from 1 to 366', {
        path: 'ttlDays',
      });
    }
    const token = `${TOKEN_PREFIX}${randomToken(32)}`;
    const now = this.now();
    const row: StaffTokenRow = {
      id: uuidv7(),
      token_hash: hashToken(token),
      role: input.role,
      created_by: by.actor,
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + ttlDays * DAY_MS).toISOString(),
      revoked_at: null,
      revoked_by: null,
      status,
      decided_by: null,
      decided_at: null,
      issued_via: via,
    };
    const operation = status === 'pending' ? 'token.request' : 'token.issue';
    await this.store.transaction(async (tx) => {
      await this.repo.insert(tx, row);
      await this.options.labels.write(tx, row.id, label);
      await this.record(tx, by, operation, 'allowed', `token ${row.id} role ${row.role}`);
    });
    this.options.log?.info(
      {
        event: status === 'pending' ? 'token.requested' : 'token.created',
        tokenId: row.id,
        role: row.role,
        createdBy: row.created_by,
        expiresAt: row.expires_at,
      },
      status === 'pending' ? 'staff token requested, awaiting approval' : 'staff token created',
    );
    return { token, info: toInfo(row, label) };
  }

  private async decide(id: string, by: TokenActor, decision: 'approve' | 'reject'): Promise<StaffTokenInfo> {
    const operation = `token.${decision}`;
    // Whose holders decide is the policy's (`token.decide`, the DPO in the seed); never the requester (below).
    if (!evaluate(this.policy(), { role: by.role, duty: 'token.decide' }).allowed) {
      return this.refuse(
        by,
        operation,
        'ROLE_NOT_ALLOWED',
        `role '${by.role}' may not decide on token requests`,
        {
          role: by.role,
        },
      );
    }
    const row = await this.repo.byId(this.store.db, id);
    if (!row) throw new SigiloError('NOT_FOUND', 'token not found', { resource: 'token' });
    const now = this.now();
    if (row.status !== 'pending' || row.revoked_at !== null || row.expires_at <= now.toISOString()) {
      throw new SigiloError(
        'CONFLICT',
        row.status === 'pending' && row.revoked_at === null
          ? 'the token request lapsed before anyone decided on it'
          : 'the token is not awaiting a decision',
        { resource: 'token', status: row.revoked_at === null ? row.status : 'revoked' },
      );
    }
    if (row.created_by === by.actor) {
      return this.refuse(by, operation, 'SECOND_APPROVER_REQUIRED', 'the requester cannot decide', {
        tokenId: id,
      });
    }
    const issuance = issuanceOf(this.policy(), row.role);
    if (decision === 'approve' && issuance !== 'dpo_approval' && issuance !== 'admin') {
      return this.refuse(by, operation, 'ROLE_NOT_ISSUABLE', `role '${row.role}' cannot be approved`, {
        role: row.role,
        issuance,
      });
    }
    // The validity the requester asked for starts when the token starts to work.
    const lifetime = Date.parse(row.expires_at) - Date.parse(row.created_at);
    const change = {
      status: decision === 'approve' ? ('active' as const) : ('rejected' as const),
      decided_by: by.actor,
      decided_at: now.toISOString(),
      ...(decision === 'approve' ? { expires_at: new Date(now.getTime() + lifetime).toISOString() } : {}),
    };
    this.forget(id);
    const decided = await this.store.transaction(async (tx) => {
      if (!(await this.repo.decide(tx, id, change))) return undefined;
      await this.record(tx, by, operation, 'allowed', `token ${id} role ${row.role}`);
      return (await this.repo.byId(tx, id))!;
    });
    this.forget(id);
    if (!decided) {
      throw new SigiloError('CONFLICT', 'the token is not awaiting a decision', { resource: 'token' });
    }
    this.options.log?.info(
      {
        event: `token.${decision === 'approve' ? 'approved' : 'rejected'}`,
        tokenId: id,
        decidedBy: by.actor,
      },
      decision === 'approve' ? 'staff token approved' : 'staff token rejected',
    );
    return (await this.infos([decided]))[0]!;
  }

  /** Logs a refused token operation in its own transaction and throws `code`. */
  private async refuse(
    by: TokenActor,
    operation: string,
    code: ErrorCode,
    reason: string,
    details: Record<string, unknown>,
  ): Promise<never> {
    await this.store.transaction((tx) => this.record(tx, by, operation, 'denied', `${code}: ${reason}`));
    throw new SigiloError(code, reason, details);
  }

  private async record(
    tx: Tx,
    by: TokenActor,
    operation: string,
    outcome: AccessLogEntry['outcome'],
    reason: string,
  ): Promise<void> {
    await this.options.accessLog.append(tx, [
      {
        at: this.now().toISOString(),
        actor: by.actor,
        role: by.role,
        purpose: null,
        legalBasis: null,
        subjectId: null,
        categories: [],
        operation,
        outcome,
        reason,
        requestId: by.requestId,
        policyVersion: this.policy().version,
        justification: null,
      },
    ]);
  }

  private unknownRole(): never {
    throw new SigiloError('VALIDATION_FAILED', 'role is not a role of the published policy', {
      path: 'role',
    });
  }
}

/** Whether a string has the shape of a staff token (used to pick token or OIDC verification). */
export function looksLikeStaffToken(value: string): boolean {
  return value.startsWith(TOKEN_PREFIX);
}

/** Whether the token came to exist the way its role's issuance (in the policy in force) requires. */
function issuedAsPolicyRequires(policy: Policy, row: StaffTokenRow): boolean {
  if (row.issued_via === 'server') return true;
  switch (issuanceOf(policy, row.role)) {
    case 'admin':
      return true;
    case 'dpo_approval':
      return row.decided_by !== null;
    default:
      return false;
  }
}

function hashToken(token: string): string {
  return hash('sha256', token, 'hex');
}

function toInfo(row: StaffTokenRow, label: string): StaffTokenInfo {
  return {
    id: row.id,
    role: row.role,
    label,
    status: row.status,
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    decidedBy: row.decided_by,
    decidedAt: row.decided_at,
    revokedAt: row.revoked_at,
    revokedBy: row.revoked_by,
  };
}
