/** Schemas shared by every route folder: ids, dates, the purpose headers, provenance and the error body. */
import { Type, type TSchema } from '@fastify/type-provider-typebox';
import { SOURCES } from '../../services/provenance.ts';

/** A string that must be one of `values` (rendered as a JSON Schema `enum`). */
export function StringEnum<const T extends readonly string[]>(
  values: T,
  options: { description?: string } = {},
) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

export const Id = Type.String({ format: 'uuid', description: 'A record id (UUID).' });
export const IsoDate = Type.String({ format: 'date', description: 'A calendar date, YYYY-MM-DD.' });
export const Timestamp = Type.String({ description: 'An ISO-8601 UTC timestamp.' });

export const Source = StringEnum(SOURCES, {
  description: 'Where the data came from (provenance); each route has a sensible default.',
});

/**
 * Every personal-data route takes these. They are optional in the schema on purpose: a missing purpose is
 * refused by the gate (400 PURPOSE_REQUIRED) so that the attempt is written to the access log.
 */
export const PurposeHeaders = Type.Object({
  'sigilo-purpose': Type.Optional(
    Type.String({
      maxLength: 64,
      description:
        'Why you are accessing personal data: a purpose id of the published policy (support, contracting, billing, ' +
        'provisioning, legal_obligation, authority_order, subject_request). Required; recorded in the access log.',
    }),
  ),
  'sigilo-justification': Type.Optional(
    Type.String({
      maxLength: 500,
      description:
        'Free-text reason, such as a ticket number; recorded in the access log. Do not put personal data here.',
    }),
  ),
});

export const Provenance = Type.Object({
  source: Type.String(),
  collectedAt: Timestamp,
  legalBasis: Type.String(),
  policyVersion: Type.Integer(),
});

export const Created = Type.Object({ id: Id });

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'A stable code listed in docs/errors.md.' }),
      message: Type.String(),
      details: Type.Record(Type.String(), Type.Unknown()),
    }),
  },
  { description: 'Every error has this shape; see docs/errors.md for the codes.' },
);

/** The error responses every route can give (OpenAPI 4XX/5XX). */
export const ErrorResponses = { '4xx': ErrorBody, '5xx': ErrorBody } as const;

/** A route's responses: its success schemas plus the shared error body. */
export function responses<R extends Record<number, TSchema>>(success: R): R & typeof ErrorResponses {
  return { ...success, ...ErrorResponses };
}

/** 204 No Content. */
export const NoContent = Type.Null({ description: 'No content.' });

/** A sealed value as the wire carries it: the (possibly masked) text, or absent when not readable. */
export function optText(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : JSON.stringify(value);
}
