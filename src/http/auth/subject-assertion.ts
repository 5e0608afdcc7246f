/**
 * Subject assertions: how the subject portal names, on each request, the one data subject it acts for. The portal
 * authenticates the person itself (its own login), then signs a short-lived JWT with a key only it holds: `iss` the
 * configured issuer, `aud` Sigilo's audience, `sub` the Sigilo subject id, `iat` and `exp`. Sigilo verifies it with
 * the portal's public JWK set and binds the request to that subject; a stolen portal token without the portal's
 * signing key reaches nobody, and a signed assertion reaches one subject for a few minutes.
 */
import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { SigiloConfig } from '../../config/config.ts';
import { SigiloError } from '../../errors.ts';
import { ALGORITHMS, readJwksFile } from './oidc.ts';

/** The request header that carries the assertion. */
export const SUBJECT_ASSERTION_HEADER = 'sigilo-subject';
// A Sigilo subject id (the id of an account or a person): a UUID, nothing that could carry a name or e-mail.
const SUBJECT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const CLOCK_TOLERANCE_SECONDS = 30;

/** Verifies an assertion and returns the subject id it names; throws UNAUTHENTICATED otherwise. */
export type SubjectAssertionVerifier = (assertion: string) => Promise<string>;

/** Builds the verifier from the portal settings (null: subject-bound roles can reach nothing). */
export function createSubjectAssertionVerifier(
  portal: NonNullable<SigiloConfig['portal']>,
  now: () => Date,
): SubjectAssertionVerifier {
  const keys: JWTVerifyGetKey = createLocalJWKSet(readJwksFile(portal.jwksFile, 'SIGILO_PORTAL_JWKS_FILE'));
  return async (assertion) => {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(assertion, keys, {
        issuer: portal.issuer,
        audience: portal.audience,
        algorithms: ALGORITHMS,
        requiredClaims: ['exp', 'iat', 'sub'],
        maxTokenAge: portal.maxAgeSeconds,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: now(),
      }));
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) {
        throw new SigiloError('UNAUTHENTICATED', 'the subject assertion has expired', {
          header: SUBJECT_ASSERTION_HEADER,
        });
      }
      throw new SigiloError('UNAUTHENTICATED', 'the subject assertion is not valid', {
        header: SUBJECT_ASSERTION_HEADER,
      });
    }
    const sub = payload.sub;
    if (typeof sub !== 'string' || !SUBJECT_ID.test(sub)) {
      throw new SigiloError('UNAUTHENTICATED', 'the subject assertion does not name a Sigilo subject id', {
        header: SUBJECT_ASSERTION_HEADER,
      });
    }
    return sub;
  };
}
