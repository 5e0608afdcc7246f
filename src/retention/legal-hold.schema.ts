/**
 * The inputs that create and change legal holds, as TypeBox schemas: the routes take them as request bodies
 * (and OpenAPI shows them), the CLI checks its options with them before opening the store, and the service checks
 * every input with them, whoever calls it. Each schema is compiled once. A bad input fails with
 * VALIDATION_FAILED naming the field (`hold.window.from`), never echoing its value.
 */
import { DateTime } from 'luxon';
import { Type, type Static, type TSchema } from 'typebox';
import { Compile, type Validator } from 'typebox/compile';
import type { TLocalizedValidationError } from 'typebox/error';
import { SigiloError } from '../errors.ts';
import { StringEnum } from '../http/routes/common.schema.ts';

export const HOLD_KINDS = ['preservation', 'litigation', 'other'] as const;
export type HoldKind = (typeof HOLD_KINDS)[number];
export const HOLD_SCOPE_KINDS = ['account', 'person'] as const;

const DATE_OR_INSTANT_PROBLEM = 'must be YYYY-MM-DD or an ISO-8601 instant';

// A date `YYYY-MM-DD` or an ISO-8601 instant with an offset; the calendar (no 30 February) is checked in code.
const DateOrInstant = Type.String({
  maxLength: 40,
  pattern: '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:\\d{2}))?$',
  description: 'A date YYYY-MM-DD (Brasília) or an ISO-8601 instant.',
});
// At least one character that is not white space; surrounding white space is trimmed.
const NOT_BLANK = '\\S';
const Reason = Type.String({
  minLength: 1,
  maxLength: 500,
  pattern: NOT_BLANK,
  description: 'Why, without personal data (refer to people by their ids, to requests by their reference).',
});
const Ref = Type.String({ minLength: 1, maxLength: 200, pattern: NOT_BLANK });

/** A new hold. */
export const NewHoldBody = Type.Object(
  {
    kind: StringEnum(HOLD_KINDS, {
      description:
        'preservation: a Marco Civil preservation request (lapses after 60 days without a court request).',
    }),
    scope: Type.Object(
      {
        kind: StringEnum(HOLD_SCOPE_KINDS),
        id: Type.String({ minLength: 1, maxLength: 100 }),
      },
      { additionalProperties: false },
    ),
    categories: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 50 }),
    window: Type.Optional(
      Type.Object(
        { from: Type.Optional(DateOrInstant), to: Type.Optional(DateOrInstant) },
        { additionalProperties: false },
      ),
    ),
    reason: Reason,
    authorityRequestRef: Type.Optional(Ref),
    courtRequestRef: Type.Optional(Ref),
    requestedAt: Type.Optional({
      ...DateOrInstant,
      description: 'When the authority made the request (the 60 days count from here); default now.',
    }),
    expiresAt: Type.Optional({
      ...DateOrInstant,
      description:
        'Optional end (for preservation: at most 60 days after the request unless a court request is registered).',
    }),
  },
  { additionalProperties: false },
);
export type NewHold = Static<typeof NewHoldBody>;

/** A later end for an active hold. */
export const ExtendHoldBody = Type.Object(
  { expiresAt: DateOrInstant, reason: Reason },
  { additionalProperties: false },
);
export type ExtendHold = Static<typeof ExtendHoldBody>;

/** The court request of a preservation hold. */
export const CourtRequestBody = Type.Object(
  { ref: Ref, expiresAt: Type.Optional(DateOrInstant) },
  { additionalProperties: false },
);
export type CourtRequest = Static<typeof CourtRequestBody>;

/** Why a hold is released. */
export const ReleaseHoldBody = Type.Object({ reason: Reason }, { additionalProperties: false });
export type ReleaseHold = Static<typeof ReleaseHoldBody>;

const validators = new Map<TSchema, Validator>(
  [NewHoldBody, ExtendHoldBody, CourtRequestBody, ReleaseHoldBody].map((s) => [s, Compile(s)]),
);

/** Field names of a failed check, from its path (`/window/from` → `window.from`). */
function fieldOf(e: TLocalizedValidationError): string {
  const params = e.params as { requiredProperties?: string[] };
  const parts = e.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  // A required field is the schema's name; an undeclared key is the caller's text (it may be personal data), so
  // the object holding it is named instead.
  if (e.keyword === 'required') parts.push(params.requiredProperties?.[0] ?? '');
  return parts.filter(Boolean).join('.');
}

function problemOf(e: TLocalizedValidationError): string {
  if (e.keyword === 'required') return 'is required';
  if (e.keyword === 'additionalProperties') return 'has a property that is not allowed';
  if (e.keyword === 'pattern') {
    return (e.params as { pattern?: string }).pattern === NOT_BLANK
      ? 'must not be blank'
      : DATE_OR_INSTANT_PROBLEM;
  }
  return e.message;
}

function invalid(path: string, problem: string, issues?: { path: string; message: string }[]): SigiloError {
  return new SigiloError('VALIDATION_FAILED', `hold${path ? `.${path}` : ''}: ${problem}`, {
    path: path ? `hold.${path}` : 'hold',
    issues: issues ?? [{ path, message: problem }],
  });
}

// Free-text fields are stored trimmed; ids and dates are taken as given.
const TRIMMED = ['reason', 'ref', 'authorityRequestRef', 'courtRequestRef'] as const;
const DATE_FIELDS = [['window', 'from'], ['window', 'to'], ['requestedAt'], ['expiresAt']] as const;

function trimmed<T>(value: T): T {
  const out = { ...value } as Record<string, unknown>;
  for (const k of TRIMMED) if (typeof out[k] === 'string') out[k] = out[k].trim();
  return out as T;
}

/** Every date field must be a real calendar date (the pattern cannot tell 2026-02-30). */
function checkCalendar(value: object): void {
  for (const path of DATE_FIELDS) {
    let v: unknown = value;
    for (const k of path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
    if (typeof v === 'string' && !DateTime.fromISO(v).isValid)
      throw invalid(path.join('.'), 'must be a real date');
  }
}

/**
 * Checks a hold input against its schema and returns it with strings trimmed; throws VALIDATION_FAILED naming
 * the first field at fault (all of them in `details.issues`).
 */
export function checkHoldInput<S extends TSchema>(schema: S, input: unknown): Static<S> {
  const v = validators.get(schema);
  if (!v) throw new Error('not a legal-hold schema');
  if (!v.Check(input)) {
    // `additionalProperties: false` also fails each unknown key on its own as a `boolean` schema: reported once.
    const errors = v.Errors(input).filter((e) => e.keyword !== 'boolean');
    const issues = errors.map((e) => ({ path: fieldOf(e), message: problemOf(e) }));
    const first = issues[0];
    throw invalid(first?.path ?? '', first?.message ?? 'invalid input', issues);
  }
  checkCalendar(input as object);
  return trimmed(input as Static<S>);
}
