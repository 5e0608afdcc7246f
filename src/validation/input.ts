import { SigiloError } from '../errors.ts';
import type { ErrorCode } from '../errors.ts';

/**
 * Refuses a value that is not a string or is absurdly long before any parsing runs.
 * The callers' signatures say `string`, but values arrive from JSON and CSV at run time.
 */
export function requireText(input: unknown, code: ErrorCode, path: string, maxLength: number): string {
  if (typeof input !== 'string') {
    throw new SigiloError(code, 'Expected a string', { path, reason: 'not_a_string' });
  }
  if (input.length > maxLength) {
    throw new SigiloError(code, `Longer than ${maxLength} characters`, { path, reason: 'too_long' });
  }
  return input;
}
