/**
 * OIDC: JWTs from the organisation's identity provider, verified with `jose` against the configured JWKS
 * (a URL, fetched and cached by jose, or a local file), issuer and audience; the role comes from a claim.
 */
import fs from 'node:fs';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors as joseErrors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
} from 'jose';
import type { SigiloConfig } from '../../config/config.ts';
import { SigiloError } from '../../errors.ts';
import type { CredentialVerifier } from './principal.ts';

// Asymmetric algorithms only: a shared-secret (HS*) token could be minted by anyone who holds the secret.
export const ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];
const CLOCK_TOLERANCE_SECONDS = 30;

/** Builds the verifier for OIDC JWTs; `isRole` says whether a claimed role may come from the identity provider. */
export function createOidcVerifier(
  oidc: NonNullable<SigiloConfig['oidc']>,
  isRole: (role: string) => boolean,
  now: () => Date,
): CredentialVerifier {
  const keys: JWTVerifyGetKey =
    'file' in oidc.jwks
      ? createLocalJWKSet(readJwksFile(oidc.jwks.file))
      : createRemoteJWKSet(new URL(oidc.jwks.url));
  return async (jwt) => {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(jwt, keys, {
        issuer: oidc.issuer,
        audience: oidc.audience,
        algorithms: ALGORITHMS,
        requiredClaims: ['exp', 'sub'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: now(),
      }));
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) {
        throw new SigiloError('TOKEN_EXPIRED', 'the bearer token has expired');
      }
      // Which check failed (signature, issuer, audience...) is not the caller's business.
      throw new SigiloError('UNAUTHENTICATED', 'the bearer token is not valid');
    }
    const role = payload[oidc.roleClaim];
    if (typeof role !== 'string' || !isRole(role)) {
      throw new SigiloError('UNAUTHENTICATED', 'the bearer token does not carry a known role', {
        claim: oidc.roleClaim,
      });
    }
    return {
      actor: `oidc:${String(payload.sub)}`,
      role,
      via: 'oidc',
      expiresAt: new Date(Number(payload.exp) * 1000).toISOString(),
    };
  };
}

/** Reads a local JWK set; CONFIG_INVALID naming `variable` when it cannot be read or has no keys. */
export function readJwksFile(file: string, variable = 'SIGILO_OIDC_JWKS_FILE'): JSONWebKeySet {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    throw new SigiloError('CONFIG_INVALID', `invalid configuration: ${variable} cannot be read as JSON`, {
      issues: [{ variable, problem: 'unreadable or not JSON' }],
    });
  }
  if (!parsed || typeof parsed !== 'object' || !Array.isArray((parsed as { keys?: unknown }).keys)) {
    throw new SigiloError('CONFIG_INVALID', `invalid configuration: ${variable} has no "keys" array`, {
      issues: [{ variable, problem: 'not a JWK set' }],
    });
  }
  return parsed as JSONWebKeySet;
}
