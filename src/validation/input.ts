import { SigiloError } from '../errors.ts';
import type { ErrorCode } from '../errors.ts';

export interface TextRule {
  /** Longest accepted value, counted as given (before trimming); default 300. */
  maxLength?: number;
  /** The error code of a refusal; default VALIDATION_FAILED (format validators pass their own). */
  code?: ErrorCode;
  /** Let a blank value through (trimmed to ''), for format validators that refuse it with their own reason. */
  allowBlank?: boolean;
}

/**
 * A required text field: refuses a value that is not a string, is longer than `maxLength` (before any parsing
 * runs) or is blank, and returns it trimmed. The callers' signatures say `string`, but values arrive from JSON and
 * CSV at run time.
 */
export function requireText(input: unknown, path: string, rule: TextRule = {}): string {
  const { maxLength = 300, code = 'VALIDATION_FAILED', allowBlank = false } = rule;
  if (typeof input !== 'string') {
    throw new SigiloError(code, `${path} must be a text`, { path, reason: 'not_a_string' });
  }
  if (input.length > maxLength) {
    throw new SigiloError(code, `${path} must be at most ${maxLength} characters`, {
      path,
      reason: 'too_long',
    });
  }
  const text = input.trim();
  if (text.length === 0 && !allowBlank)
    throw new SigiloError(code, `${path} must not be empty`, { path, reason: 'empty' });
  return text;
}
