import { z } from 'zod';
import { SigiloError } from '../errors.ts';
import { normaliseCep } from './cep.ts';

/** The 27 federative units (26 states and the Distrito Federal). */
// prettier-ignore
export const UFS = [
  'AC', 'AL', 'AP', 'AM', 'BA', 'CE', 'DF', 'ES', 'GO', 'MA', 'MT', 'MS', 'MG', 'PA',
  'PB', 'PR', 'PE', 'PI', 'RJ', 'RN', 'RS', 'RO', 'RR', 'SC', 'SP', 'SE', 'TO',
] as const;

export type Uf = (typeof UFS)[number];

/** A Brazilian postal address, normalised. */
export interface PostalAddress {
  street: string;
  /** House number, or "S/N" (sem número). */
  number: string;
  complement?: string;
  district?: string;
  city: string;
  state: Uf;
  /** 8 digits. */
  cep: string;
}

/** Limits generous enough for Correios' longest names, small enough to stop abuse. */
const MAX_LENGTH = { street: 200, number: 20, complement: 120, district: 100, city: 100 } as const;

// One line of text: NFC, inner whitespace collapsed (so equal addresses compare equal), no control characters.
const line = (max: number) =>
  z
    .string()
    .transform((s) => s.normalize('NFC').replace(/\s+/g, ' ').trim())
    .pipe(
      z
        .string()
        .min(1)
        .max(max)
        .regex(/^\P{Cc}*$/u),
    );

// Absent, null and blank all mean "not given" for the optional lines.
const optionalLine = (max: number) =>
  z
    .string()
    .nullish()
    .transform((s) => (s == null ? undefined : s.normalize('NFC').replace(/\s+/g, ' ').trim() || undefined))
    .pipe(
      z
        .string()
        .max(max)
        .regex(/^\P{Cc}*$/u)
        .optional(),
    );

const addressSchema = z.strictObject({
  street: line(MAX_LENGTH.street),
  number: line(MAX_LENGTH.number),
  complement: optionalLine(MAX_LENGTH.complement),
  district: optionalLine(MAX_LENGTH.district),
  city: line(MAX_LENGTH.city),
  state: z
    .string()
    .transform((s) => s.trim().toUpperCase())
    .pipe(z.enum(UFS)),
  cep: z.string(),
});

/** A problem message that never repeats the value it is about. */
function problemOf(issue: z.core.$ZodIssue, given: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      return given === undefined || given === null ? 'is required' : 'must be a string';
    case 'too_small':
      return 'is required';
    case 'too_big':
      return `is longer than ${String(issue.maximum)} characters`;
    case 'invalid_value':
      return 'is not one of the 27 UFs';
    case 'invalid_format':
      return 'contains control characters';
    case 'unrecognized_keys':
      return 'is not a field of a postal address';
    default:
      return 'is invalid';
  }
}

/**
 * Validates and normalises a postal address; throws INVALID_ADDRESS whose `details.path` names the field
 * (`address.state`), or INVALID_CEP for a malformed CEP.
 */
export function normaliseAddress(input: unknown, path: string): PostalAddress {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new SigiloError('INVALID_ADDRESS', 'A postal address must be an object', { path });
  }
  const result = addressSchema.safeParse(input);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => {
      const key = issue.code === 'unrecognized_keys' ? issue.keys[0] : issue.path[0];
      const field = String(key ?? '').slice(0, 64);
      const given = (input as Record<string, unknown>)[field];
      return { path: field ? `${path}.${field}` : path, problem: problemOf(issue, given) };
    });
    const first = issues[0] ?? { path, problem: 'is invalid' };
    throw new SigiloError('INVALID_ADDRESS', `${first.path} ${first.problem}`, { path: first.path, issues });
  }
  const { complement, district, ...required } = result.data;
  return {
    ...required,
    cep: normaliseCep(required.cep, `${path}.cep`),
    ...(complement === undefined ? {} : { complement }),
    ...(district === undefined ? {} : { district }),
  };
}
