/**
 * Configuration: parsed once at start from the environment (and CLI overrides), validated, frozen.
 * A bad value stops the process with a message naming the variable. Documented in docs/configuration.md.
 */
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { SigiloError } from '../errors.ts';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const EnvSchema = z.object({
  SIGILO_DATA_DIR: z.string().min(1).default('./data'),
  SIGILO_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// connection string')
    .optional(),
  SIGILO_PG_SSLMODE: z.enum(['disable', 'require', 'verify-full']).default('disable'),
  SIGILO_PG_CA_FILE: z.string().min(1).optional(),
  SIGILO_PG_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(200).default(10),
  SIGILO_KEY_PROVIDER: z.enum(['local-file', 'env']).default('local-file'),
  SIGILO_KEY_FILE: z.string().min(1).optional(),
  SIGILO_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  SIGILO_HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  SIGILO_TLS_CERT_FILE: z.string().min(1).optional(),
  SIGILO_TLS_KEY_FILE: z.string().min(1).optional(),
  SIGILO_INSECURE_HTTP: bool.default(false),
  SIGILO_BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(10 * 1024 * 1024),
  // Node's own default: the whole request (headers and body) must arrive within it; 408 REQUEST_TIMEOUT after.
  SIGILO_HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(300_000),
  SIGILO_TRUST_PROXY: bool.default(false),
  SIGILO_SHUTDOWN_GRACE_SECONDS: z.coerce.number().int().min(0).max(600).default(10),
  SIGILO_OIDC_ISSUER: z.string().url().optional(),
  SIGILO_OIDC_AUDIENCE: z.string().min(1).optional(),
  SIGILO_OIDC_JWKS_URL: z.string().url().optional(),
  SIGILO_OIDC_JWKS_FILE: z.string().min(1).optional(),
  SIGILO_OIDC_ROLE_CLAIM: z.string().min(1).default('sigilo_role'),
  SIGILO_PORTAL_ISSUER: z.string().min(1).optional(),
  SIGILO_PORTAL_JWKS_FILE: z.string().min(1).optional(),
  SIGILO_PORTAL_AUDIENCE: z.string().min(1).default('sigilo'),
  SIGILO_PORTAL_ASSERTION_MAX_AGE_SECONDS: z.coerce.number().int().min(10).max(3600).default(300),
  SIGILO_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SIGILO_CHECKPOINT_EVERY: z.coerce.number().int().min(1).default(1000),
  SIGILO_AUDIT_HEAD_FILE: z.string().min(1).optional(),
  SIGILO_AUDIT_HEAD_INTERVAL_MS: z.coerce.number().int().min(0).max(60_000).default(1000),
  SIGILO_RETENTION_SWEEP_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .max(7 * 86_400_000)
    .default(3_600_000),
  SIGILO_RETENTION_FIRST_SWEEP_MS: z.coerce.number().int().min(0).max(86_400_000).default(60_000),
  SIGILO_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(366).default(30),
  SIGILO_TOKEN_CACHE_MS: z.coerce.number().int().min(0).max(10_000).default(1000),
  SIGILO_AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(10),
  SIGILO_RECORDINGS_STORE: z.enum(['filesystem', 's3']).default('filesystem'),
  SIGILO_RECORDINGS_DIR: z.string().min(1).optional(),
  SIGILO_RECORDING_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(500 * 1024 * 1024),
  SIGILO_S3_BUCKET: z.string().min(1).optional(),
  SIGILO_S3_REGION: z.string().min(1).default('us-east-1'),
  SIGILO_S3_ENDPOINT: z.string().url().optional(),
  SIGILO_S3_FORCE_PATH_STYLE: bool.default(false),
  SIGILO_S3_PREFIX: z.string().default('recordings/'),
  // Worker threads preparing bulk CDR imports; default: one per core, at most 4.
  SIGILO_INGEST_WORKERS: z.coerce.number().int().min(0).max(16).optional(),
});

/** Every environment variable Sigilo reads (docs/configuration.md lists each; a test keeps them in step). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(EnvSchema.shape);

export interface SigiloConfig {
  readonly dataDir: string;
  readonly store:
    | { readonly kind: 'sqlite'; readonly file: string }
    | {
        readonly kind: 'postgres';
        readonly url: string;
        readonly sslMode: 'disable' | 'require' | 'verify-full';
        readonly caFile?: string;
        readonly maxConnections: number;
      };
  readonly keys: { readonly provider: 'local-file'; readonly file: string } | { readonly provider: 'env' };
  readonly http: {
    readonly host: string;
    readonly port: number;
    readonly tls: { readonly certFile: string; readonly keyFile: string } | null;
    readonly insecureHttp: boolean;
    readonly bodyLimitBytes: number;
    /** Time a client has to send a whole request (headers within min(this, 60 s)). */
    readonly requestTimeoutMs: number;
    readonly trustProxy: boolean;
    /** On SIGTERM/SIGINT, how long in-flight requests may run before their connections are closed. */
    readonly shutdownGraceSeconds: number;
  };
  readonly oidc: {
    readonly issuer: string;
    readonly audience: string;
    readonly jwks: { readonly url: string } | { readonly file: string };
    readonly roleClaim: string;
  } | null;
  /** How the subject portal names the data subject it acts for (a signed assertion per request). */
  readonly portal: {
    readonly issuer: string;
    readonly audience: string;
    readonly jwksFile: string;
    /** An assertion older than this (by its `iat`) is refused. */
    readonly maxAgeSeconds: number;
  } | null;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly checkpointEvery: number;
  /** The signed access-log head kept outside the database, and how long a commit may wait to be covered by it. */
  readonly auditHead: { readonly file: string; readonly intervalMs: number };
  readonly auth: {
    /** Validity of a new staff token when none is given. */
    readonly tokenTtlDays: number;
    /** How long a staff token read from the database is trusted without reading it again (0: every request). */
    readonly tokenCacheMs: number;
    /** Failed authentications one client address may make per minute before it gets 429. */
    readonly failuresPerMinute: number;
  };
  /** Worker threads preparing bulk CDR imports (0: in the calling thread). */
  readonly ingestWorkers: number;
  /** The in-process sweep schedule of `sigilo serve` (several instances coordinate through the database). */
  readonly retentionSchedule: {
    readonly intervalMs: number;
    readonly firstDelayMs: number;
  };
  readonly recordings: {
    /** Largest accepted recording, in plaintext bytes. */
    readonly maxBytes: number;
    /** S3 credentials come from the standard AWS chain (environment, shared files, instance role). */
    readonly store:
      | { readonly kind: 'filesystem'; readonly dir: string }
      | {
          readonly kind: 's3';
          readonly bucket: string;
          readonly region: string;
          readonly endpoint?: string;
          readonly forcePathStyle: boolean;
          readonly prefix: string;
        };
  };
}

/** Reads and validates the configuration; `overrides` come from CLI flags and win over the environment. */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<Record<keyof z.input<typeof EnvSchema>, string>> = {},
): SigiloConfig {
  const parsed = EnvSchema.safeParse({ ...pickSigilo(env), ...stripUndefined(overrides) });
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ variable: i.path.join('.'), problem: i.message }));
    const first = issues[0];
    throw new SigiloError('CONFIG_INVALID', `invalid configuration: ${first?.variable}: ${first?.problem}`, {
      issues,
    });
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.SIGILO_DATA_DIR);
  if ((e.SIGILO_TLS_CERT_FILE === undefined) !== (e.SIGILO_TLS_KEY_FILE === undefined)) {
    throw new SigiloError(
      'CONFIG_INVALID',
      'invalid configuration: SIGILO_TLS_CERT_FILE and SIGILO_TLS_KEY_FILE go together',
      {
        issues: [{ variable: 'SIGILO_TLS_KEY_FILE', problem: 'set both or neither' }],
      },
    );
  }
  if (e.SIGILO_DATABASE_URL && e.SIGILO_PG_SSLMODE === 'verify-full' && !e.SIGILO_PG_CA_FILE) {
    throw new SigiloError(
      'CONFIG_INVALID',
      'invalid configuration: SIGILO_PG_CA_FILE is required with SIGILO_PG_SSLMODE=verify-full',
      {
        issues: [
          { variable: 'SIGILO_PG_CA_FILE', problem: 'required when SIGILO_PG_SSLMODE is verify-full' },
        ],
      },
    );
  }
  if (e.SIGILO_RECORDINGS_STORE === 's3' && !e.SIGILO_S3_BUCKET) {
    throw new SigiloError('CONFIG_INVALID', 'invalid configuration: SIGILO_S3_BUCKET is required with s3', {
      issues: [{ variable: 'SIGILO_S3_BUCKET', problem: 'required when SIGILO_RECORDINGS_STORE is s3' }],
    });
  }
  let oidc: SigiloConfig['oidc'] = null;
  if (e.SIGILO_OIDC_ISSUER) {
    const jwks = e.SIGILO_OIDC_JWKS_FILE
      ? { file: e.SIGILO_OIDC_JWKS_FILE }
      : e.SIGILO_OIDC_JWKS_URL
        ? { url: e.SIGILO_OIDC_JWKS_URL }
        : null;
    if (!jwks || !e.SIGILO_OIDC_AUDIENCE) {
      throw new SigiloError(
        'CONFIG_INVALID',
        'invalid configuration: OIDC needs SIGILO_OIDC_AUDIENCE and a JWKS (URL or file)',
        {
          issues: [{ variable: 'SIGILO_OIDC_AUDIENCE', problem: 'required with SIGILO_OIDC_ISSUER' }],
        },
      );
    }
    oidc = {
      issuer: e.SIGILO_OIDC_ISSUER,
      audience: e.SIGILO_OIDC_AUDIENCE,
      jwks,
      roleClaim: e.SIGILO_OIDC_ROLE_CLAIM,
    };
  }
  if (Boolean(e.SIGILO_PORTAL_ISSUER) !== Boolean(e.SIGILO_PORTAL_JWKS_FILE)) {
    throw new SigiloError(
      'CONFIG_INVALID',
      'invalid configuration: subject assertions need both SIGILO_PORTAL_ISSUER and SIGILO_PORTAL_JWKS_FILE',
      {
        issues: [
          {
            variable: e.SIGILO_PORTAL_ISSUER ? 'SIGILO_PORTAL_JWKS_FILE' : 'SIGILO_PORTAL_ISSUER',
            problem: 'required with the other',
          },
        ],
      },
    );
  }
  const portal: SigiloConfig['portal'] =
    e.SIGILO_PORTAL_ISSUER && e.SIGILO_PORTAL_JWKS_FILE
      ? {
          issuer: e.SIGILO_PORTAL_ISSUER,
          audience: e.SIGILO_PORTAL_AUDIENCE,
          jwksFile: e.SIGILO_PORTAL_JWKS_FILE,
          maxAgeSeconds: e.SIGILO_PORTAL_ASSERTION_MAX_AGE_SECONDS,
        }
      : null;
  return deepFreeze<SigiloConfig>({
    dataDir,
    store: e.SIGILO_DATABASE_URL
      ? {
          kind: 'postgres',
          url: e.SIGILO_DATABASE_URL,
          sslMode: e.SIGILO_PG_SSLMODE,
          ...(e.SIGILO_PG_CA_FILE ? { caFile: e.SIGILO_PG_CA_FILE } : {}),
          maxConnections: e.SIGILO_PG_MAX_CONNECTIONS,
        }
      : { kind: 'sqlite', file: path.join(dataDir, 'sigilo.db') },
    keys:
      e.SIGILO_KEY_PROVIDER === 'env'
        ? { provider: 'env' }
        : {
            provider: 'local-file',
            file: path.resolve(e.SIGILO_KEY_FILE ?? path.join(dataDir, 'master.key')),
          },
    http: {
      host: e.SIGILO_HTTP_HOST,
      port: e.SIGILO_HTTP_PORT,
      tls:
        e.SIGILO_TLS_CERT_FILE && e.SIGILO_TLS_KEY_FILE
          ? { certFile: e.SIGILO_TLS_CERT_FILE, keyFile: e.SIGILO_TLS_KEY_FILE }
          : null,
      insecureHttp: e.SIGILO_INSECURE_HTTP,
      bodyLimitBytes: e.SIGILO_BODY_LIMIT_BYTES,
      requestTimeoutMs: e.SIGILO_HTTP_REQUEST_TIMEOUT_MS,
      trustProxy: e.SIGILO_TRUST_PROXY,
      shutdownGraceSeconds: e.SIGILO_SHUTDOWN_GRACE_SECONDS,
    },
    oidc,
    portal,
    logLevel: e.SIGILO_LOG_LEVEL,
    checkpointEvery: e.SIGILO_CHECKPOINT_EVERY,
    auditHead: {
      file: path.resolve(e.SIGILO_AUDIT_HEAD_FILE ?? path.join(dataDir, 'audit-head.json')),
      intervalMs: e.SIGILO_AUDIT_HEAD_INTERVAL_MS,
    },
    auth: {
      tokenTtlDays: e.SIGILO_TOKEN_TTL_DAYS,
      tokenCacheMs: e.SIGILO_TOKEN_CACHE_MS,
      failuresPerMinute: e.SIGILO_AUTH_FAILURES_PER_MINUTE,
    },
    // One core stays with the thread that prepares and writes; a worker only hashes natural keys (one is plenty).
    ingestWorkers: e.SIGILO_INGEST_WORKERS ?? Math.max(0, Math.min(2, os.availableParallelism() - 1)),
    retentionSchedule: {
      intervalMs: e.SIGILO_RETENTION_SWEEP_INTERVAL_MS,
      firstDelayMs: e.SIGILO_RETENTION_FIRST_SWEEP_MS,
    },
    recordings: {
      maxBytes: e.SIGILO_RECORDING_MAX_BYTES,
      store:
        e.SIGILO_RECORDINGS_STORE === 's3'
          ? {
              kind: 's3',
              bucket: e.SIGILO_S3_BUCKET!,
              region: e.SIGILO_S3_REGION,
              ...(e.SIGILO_S3_ENDPOINT ? { endpoint: e.SIGILO_S3_ENDPOINT } : {}),
              forcePathStyle: e.SIGILO_S3_FORCE_PATH_STYLE,
              prefix: e.SIGILO_S3_PREFIX,
            }
          : {
              kind: 'filesystem',
              dir: path.resolve(e.SIGILO_RECORDINGS_DIR ?? path.join(dataDir, 'recordings')),
            },
    },
  });
}

function pickSigilo(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env))
    if (k.startsWith('SIGILO_') && v !== undefined && v !== '') out[k] = v;
  return out;
}

function stripUndefined(o: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).filter((kv): kv is [string, string] => kv[1] !== undefined));
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
