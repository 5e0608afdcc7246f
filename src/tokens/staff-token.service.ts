/**
 * Staff bearer tokens: 256 random bits with a `sgl_` prefix (so secret scanners recognise them), shown once,
 * stored only as a SHA-256 hash with the role they grant, an expiry and a revocation mark. Tokens are not personal
 * data, so they do not pass the gate; creating and revoking them goes to the access log, in the same transaction,
 * and to the application log (the token's id and role, never the token or its hash).
 */
import { hash } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { randomToken } from '../crypto/random.ts';
import { SigiloError } from '../errors.ts';
import type { ChainedEntry } from '../access-log/access-log.entry.ts';
import type { SecurityEventLog } from '../access-log/security-events.ts';
import type { Policy } from '../policy/policy.schema.ts';
import type { Store } from '../store/store.ts';
import type { StaffTokenRow } from '../store/tables/staff-token.table.ts';
import { StaffTokenRepository } from './staff-token.repository.ts';

/** Every staff token starts with this, followed by 43 base64url characters (32 random bytes). */
export const TOKEN_PREFIX = 'sgl_';
const TOKEN_SHAPE = /^sgl_[A-Za-z0-9_-]{43}$/;
const LABEL_MAX = 100;
const DAY_MS = 86_400_000;

/** What a listing shows about a token (never the token or its hash). */
export interface StaffTokenInfo {
  id: string;
  role: string;
  label: string;
  createdBy: string;
  createdAt: string;
  expiresAt: string;
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

/** The part of a pino logger the service writes to. */
export interface AppLog {
  info(obj: Record<string, unknown>, msg: string): void;
}

export interface StaffTokenOptions {
  /** Validity of a new token when the caller gives none. */
  defaultTtlDays: number;
  log?: AppLog;
  /** Records issuance and revocation in the access log (absent only for `sigilo init`'s first admin token). */
  audit?: Pick<SecurityEventLog, 'appendIn' | 'committed'>;
}

/** Who asks, for the access-log entry of an issuance or revocation. */
export interface TokenRequestContext {
  role?: string;
  requestId?: string;
}

/** Creates, lists, revokes and checks staff tokens. */
export class StaffTokenService {
  private readonly repo = new StaffTokenRepository();

  constructor(
    private readonly store: Store,
    private readonly policy: () => Policy,
    private readonly now: () => Date,
    private readonly options: StaffTokenOptions,
  ) {}

  /** Creates a token for `role` (a role of the published policy); the token is returned here and nowhere else. */
  async create(input: {
    role: string;
    label: string;
    createdBy: string;
    ttlDays?: number;
    context?: TokenRequestContext;
  }): Promise<{ token: string; info: StaffTokenInfo }> {
    if (!this.policy().roles.some((r) => r.id === input.role)) {
      throw new SigiloError('VALIDATION_FAILED', 'role is not a role of the published policy', {
        path: 'role',
      });
    }
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
      label,
      created_by: input.createdBy,
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + ttlDays * DAY_MS).toISOString(),
      revoked_at: null,
      revoked_by: null,
    };
    const logged = await this.store.transaction(async (tx): Promise<ChainedEntry[]> => {
      await this.repo.insert(tx, row);
      return (
        (await this.options.audit?.appendIn(tx, {
          operation: 'token.create',
          outcome: 'allowed',
          actor: row.created_by,
          role: input.context?.role ?? 'none',
          reason: `token ${row.id} for role ${row.role}, expires ${row.expires_at}`,
          requestId: input.context?.requestId ?? 'tokens',
        })) ?? []
      );
    });
    this.options.audit?.committed(logged);
    this.options.log?.info(
      {
        event: 'token.created',
        tokenId: row.id,
        role: row.role,
        createdBy: row.created_by,
        expiresAt: row.expires_at,
      },
      'staff token created',
    );
    return { token, info: toInfo(row) };
  }

  /** Active tokens, or every token with `includeInactive`. */
  async list(options: { includeInactive?: boolean } = {}): Promise<StaffTokenInfo[]> {
    const rows = await this.repo.list(this.store.db, {
      includeInactive: options.includeInactive ?? false,
      now: this.now().toISOString(),
    });
    return rows.map(toInfo);
  }

  /** Revokes a token at once; NOT_FOUND when unknown, CONFLICT when already revoked. */
  async revoke(id: string, revokedBy: string, context: TokenRequestContext = {}): Promise<StaffTokenInfo> {
    const at = this.now().toISOString();
    const logged = await this.store.transaction(async (tx): Promise<ChainedEntry[]> => {
      if (!(await this.repo.revoke(tx, id, at, revokedBy))) {
        const existing = await this.repo.byId(tx, id);
        if (!existing) throw new SigiloError('NOT_FOUND', 'token not found', { resource: 'token' });
        throw new SigiloError('CONFLICT', 'token is already revoked', { resource: 'token' });
      }
      return (
        (await this.options.audit?.appendIn(tx, {
          operation: 'token.revoke',
          outcome: 'allowed',
          actor: revokedBy,
          role: context.role ?? 'none',
          reason: `token ${id}`,
          requestId: context.requestId ?? 'tokens',
        })) ?? []
      );
    });
    this.options.audit?.committed(logged);
    this.options.log?.info({ event: 'token.revoked', tokenId: id, revokedBy }, 'staff token revoked');
    const row = await this.repo.byId(this.store.db, id);
    return toInfo(row!);
  }

  /** Checks a presented token: UNAUTHENTICATED, TOKEN_EXPIRED or TOKEN_REVOKED, else who it speaks for. */
  async authenticate(token: string): Promise<TokenPrincipal> {
    if (!TOKEN_SHAPE.test(token)) throw new SigiloError('UNAUTHENTICATED', 'the bearer token is not valid');
    const row = await this.repo.byHash(this.store.db, hashToken(token));
    if (!row) throw new SigiloError('UNAUTHENTICATED', 'the bearer token is not valid');
    if (row.revoked_at !== null) throw new SigiloError('TOKEN_REVOKED', 'the bearer token was revoked');
    if (row.expires_at <= this.now().toISOString()) {
      throw new SigiloError('TOKEN_EXPIRED', 'the bearer token has expired');
    }
    return { actor: `token:${row.id}`, role: row.role, tokenId: row.id, expiresAt: row.expires_at };
  }
}

/** Whether a string has the shape of a staff token (used to pick token or OIDC verification). */
export function looksLikeStaffToken(value: string): boolean {
  return value.startsWith(TOKEN_PREFIX);
}

function hashToken(token: string): string {
  return hash('sha256', token, 'hex');
}

function toInfo(row: StaffTokenRow): StaffTokenInfo {
  return {
    id: row.id,
    role: row.role,
    label: row.label,
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    revokedBy: row.revoked_by,
  };
}
