/**
 * fast-check arbitraries derived from the JSON Schemas of `openapi.json`: values that match a schema (so a request
 * gets past validation and reaches the gate) and hostile mutations of them (so every refusal path is exercised).
 * Only the schema keywords the API uses are understood; anything else yields arbitrary JSON.
 */
import fc from 'fast-check';

/** A JSON Schema as the OpenAPI document gives it (TypeBox output). */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  format?: string;
  additionalProperties?: boolean | JsonSchema;
  $ref?: string;
}

/** Payloads that a careless system would run, follow or echo. Each carries `mark` so an echo can be found. */
export function hostileStrings(mark: string): string[] {
  return [
    `' OR '1'='1' -- ${mark}`,
    `"; DROP TABLE person; -- ${mark}`,
    `../../../../etc/passwd${mark}`,
    `..%2f..%2f${mark}`,
    `${mark}\u0000nul`,
    `${mark}\u202e\u200b`,
    `<script>${mark}</script>`,
    `\${jndi:ldap://${mark}}`,
    `${mark}`.repeat(4096),
    `{{${mark}}}`,
  ];
}

/** Formats the API declares, generated valid so the request reaches the logic behind validation. */
const FORMAT_VALUES: Record<string, fc.Arbitrary<string>> = {
  uuid: fc.uuid(),
  'date-time': fc
    .date({
      min: new Date('2020-01-01T00:00:00Z'),
      max: new Date('2030-01-01T00:00:00Z'),
      noInvalidDate: true,
    })
    .map((d) => d.toISOString()),
  date: fc
    .date({
      min: new Date('2020-01-01T00:00:00Z'),
      max: new Date('2030-01-01T00:00:00Z'),
      noInvalidDate: true,
    })
    .map((d) => d.toISOString().slice(0, 10)),
  email: fc.emailAddress(),
};

/** Values matching `schema` (best effort: patterns are honoured with a few fixed samples that match them). */
export function valid(schema: JsonSchema, depth = 0): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const union = schema.anyOf ?? schema.oneOf;
  if (union?.length) return fc.oneof(...union.map((s) => valid(s, depth + 1)));
  if (schema.allOf?.length) return valid(Object.assign({}, ...schema.allOf) as JsonSchema, depth + 1);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string': {
      if (schema.format && FORMAT_VALUES[schema.format]) return FORMAT_VALUES[schema.format]!;
      if (schema.pattern) return patternSample(schema.pattern, schema);
      return fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 40, 40) });
    }
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1000, max: schema.maximum ?? 100_000 });
    case 'number':
      return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      if (depth > 4) return fc.constant([]);
      return fc.array(valid(schema.items ?? {}, depth + 1), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.min(schema.maxItems ?? 3, 3),
      });
    }
    case 'object': {
      const props = schema.properties ?? {};
      const required = new Set(schema.required ?? []);
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, s] of Object.entries(props)) record[k] = valid(s, depth + 1);
      return fc.record(record, { requiredKeys: [...required].filter((k) => k in props) });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** A few strings for a pattern: digits-only patterns get digits, anything else a short word (may not match). */
function patternSample(pattern: string, schema: JsonSchema): fc.Arbitrary<string> {
  const min = schema.minLength ?? 1;
  const max = Math.min(schema.maxLength ?? 20, 20);
  if (/^\^?\\d|^\^?\[0-9\]/.test(pattern))
    return fc.stringMatching(/^\d+$/).filter((s) => s.length >= min && s.length <= max);
  return fc
    .stringMatching(new RegExp(pattern))
    .filter((s) => s.length >= min && s.length <= Math.max(max, 64));
}

/**
 * A hostile variant of a valid value: the wrong type, a 1 MB string, deep nesting, NUL and control characters,
 * injection payloads, unknown keys, or a required key removed.
 */
export function mutated(schema: JsonSchema, mark: string): fc.Arbitrary<unknown> {
  const base = valid(schema);
  const deep = fc.integer({ min: 200, max: 2000 }).map((n) => {
    let v: unknown = mark;
    for (let i = 0; i < n; i++) v = i % 2 ? [v] : { a: v };
    return v;
  });
  const wrongType = fc.constantFrom<unknown>(42, -1, 1e308, true, null, [], {}, '', [mark], { [mark]: mark });
  const hostile = fc.constantFrom(...hostileStrings(mark));
  const huge = fc.constant(mark + 'x'.repeat(1024 * 1024));
  const props = Object.keys(schema.properties ?? {});
  const fieldAttack = props.length
    ? fc
        .tuple(base, fc.constantFrom(...props), fc.oneof(wrongType, hostile, huge, deep))
        .map(([v, key, bad]) => ({ ...(isObject(v) ? v : {}), [key]: bad }))
    : wrongType;
  const dropRequired = (schema.required ?? []).length
    ? fc.tuple(base, fc.constantFrom(...schema.required!)).map(([v, key]) => {
        const copy = { ...(isObject(v) ? v : {}) };
        delete copy[key];
        return copy;
      })
    : wrongType;
  const unknownKey = base.map((v) => ({ ...(isObject(v) ? v : {}), [`${mark}_extra`]: mark }));
  return fc.oneof(wrongType, hostile, huge, deep, fieldAttack, dropRequired, unknownKey);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
