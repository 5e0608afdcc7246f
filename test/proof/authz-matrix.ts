/**
 * The authorization matrix (issue 14 §4), derived and never listed by hand: the operations come from the live
 * OpenAPI document, each with the `x-sigilo-access` declaration its route emits (roles, and the policy questions of
 * its canonical request); roles, purposes and grants come from the policy in force, through its public API
 * (`evaluate`, `isSubjectBound`, `issuanceOf`, `covers`). A route, role, purpose or grant added later is covered by
 * the next run without a new test.
 *
 * For every role × route (× purpose where the route takes one) a real token of that role sends a valid request
 * built from the route's schema, and the answer must be what the policy says: an authorization refusal (with a
 * documented code, written to the access log) exactly where the policy denies, none where it allows. The subject
 * portal acts for the subject the request is about and, separately, for another subject. Guessed ids, lookups of
 * another subscriber and token escalation are tried too.
 */
import { randomUUID } from 'node:crypto';
import { ERROR_CODES } from '../../src/errors.ts';
import { ACCESS_EXTENSION, type AccessExtension, type CategoryAccess } from '../../src/http/route-access.ts';
import {
  covers,
  evaluate,
  isSubjectBound,
  issuanceOf,
  rolesWithDuty,
  type Duty,
} from '../../src/policy/policy.evaluate.ts';
import type { Policy } from '../../src/policy/policy.schema.ts';
import type { JsonSchema } from './schema-arbitrary.ts';
import { seedCustomer, type TestApp } from '../support/http.ts';
import { ctx } from '../support/sigilo.ts';
import { cdrOrder } from '../../src/authority-requests/authority-request.fixture.ts';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
/** Codes that mean "the authorization layer refused": the policy, a route's roles, or no purpose. */
const AUTHZ_CODES = new Set(['ROLE_NOT_ALLOWED', 'PURPOSE_NOT_ALLOWED', 'PURPOSE_REQUIRED']);

/** One operation of the document with its declaration. */
export interface MatrixOperation {
  method: string;
  path: string;
  access: AccessExtension | undefined;
  /** The route takes the Sigilo-Purpose header (it reaches personal data through the gate). */
  takesPurpose: boolean;
  pathParams: { name: string; schema: JsonSchema }[];
  query: { name: string; required: boolean; schema: JsonSchema }[];
  body?: { type: string; schema: JsonSchema };
}

/** Whose data a bound (subject portal) request is about, relative to the subject it acts for. */
export type Acting = 'own' | 'other';

/** One request of the matrix and what the policy says of it. */
export interface MatrixCase {
  op: MatrixOperation;
  role: string;
  /** null: the request states no purpose. */
  purpose: string | null;
  acting?: Acting;
  /**
   * allow: no authorization refusal; deny: a refusal with a documented code, logged; roles-pass: the route's roles
   * let the role through (its policy questions are not declared, so the purpose part is not judged).
   */
  expected: 'allow' | 'deny' | 'roles-pass';
  why: string;
}

/** The operations of `spec`, with what the matrix needs to send a valid request to each. */
export function operationsOf(spec: {
  paths: Record<string, Record<string, unknown>>;
  components?: { schemas?: Record<string, JsonSchema> };
}): MatrixOperation[] {
  const ops: MatrixOperation[] = [];
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const method of METHODS) {
      const op = item[method] as
        | {
            parameters?: { in: string; name: string; required?: boolean; schema?: JsonSchema }[];
            requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
            [ACCESS_EXTENSION]?: AccessExtension;
          }
        | undefined;
      if (!op) continue;
      const params = op.parameters ?? [];
      const content = op.requestBody?.content ?? {};
      const type = Object.keys(content)[0];
      ops.push({
        method: method.toUpperCase(),
        path,
        access: op[ACCESS_EXTENSION],
        takesPurpose: params.some((p) => p.in === 'header' && p.name === 'sigilo-purpose'),
        pathParams: params
          .filter((p) => p.in === 'path')
          .map((p) => ({ name: p.name, schema: p.schema ?? {} })),
        query: params
          .filter((p) => p.in === 'query')
          .map((p) => ({ name: p.name, required: p.required ?? false, schema: p.schema ?? {} })),
        body: type ? { type, schema: content[type]!.schema ?? {} } : undefined,
      });
    }
  }
  return ops;
}

/** Whether the policy answers yes to one declared question for `role` and `purpose`. */
function grants(policy: Policy, role: string, purpose: string, q: CategoryAccess): boolean {
  if (q.purposes && !q.purposes.includes(purpose)) return false;
  const ok = (category: string): boolean =>
    evaluate(policy, { role, purpose, category, operation: q.operation }).allowed;
  return q.match === 'any' ? q.categories.some(ok) : q.categories.every(ok);
}

/** The path parameters that name the data subject of a request (its person, or the account its record is of). */
const SUBJECT_PARAMS = [
  'personId',
  'accountId',
  'contractId',
  'invoiceId',
  'ticketId',
  'credentialId',
  'requestId',
];

/** Whether the request body names its data subject (`subjectId`, e.g. a new data-subject request). */
function bodyNamesSubject(op: MatrixOperation): boolean {
  return op.body?.schema.required?.includes('subjectId') ?? false;
}

/** The roles a route lets in: the holders of any of its duties; undefined when the route names no duty. */
function routeRoles(policy: Policy, a: AccessExtension | undefined): string[] | undefined {
  if (!a?.duties) return undefined;
  return [...new Set(a.duties.flatMap((d) => rolesWithDuty(policy, d as Duty)))];
}

/** Every case of the matrix, with its expectation computed from the policy and the route's declaration. */
export function deriveCases(ops: MatrixOperation[], policy: Policy): MatrixCase[] {
  const cases: MatrixCase[] = [];
  const roles = policy.roles.map((r) => r.id);
  const purposes = policy.purposes.map((p) => p.id);
  for (const op of ops) {
    const a = op.access;
    if (!a || a.public) continue;
    for (const role of roles) {
      const bound = isSubjectBound(policy, role);
      const acting: { acting?: Acting } = bound ? { acting: 'own' } : {};
      const allowedRoles = routeRoles(policy, a);
      const roleOk = !allowedRoles || allowedRoles.includes(role);
      const roleWhy = roleOk || !allowedRoles ? '' : `route duties ${a.duties!.join(',')}`;
      const passWhy = allowedRoles ? 'route duties' : 'any role';
      if (!op.takesPurpose || a.requires?.length === 0) {
        cases.push({
          op,
          role,
          purpose: null,
          ...acting,
          expected: roleOk ? 'allow' : 'deny',
          why: roleWhy || passWhy,
        });
        continue;
      }
      if (!a.requires) {
        // Roles are declared, the policy questions are not: only the roles part can be judged.
        for (const purpose of [...purposes, null]) {
          cases.push({
            op,
            role,
            purpose,
            ...acting,
            expected: roleOk ? 'roles-pass' : 'deny',
            why: roleWhy || 'roles',
          });
        }
        continue;
      }
      const hasSubject = op.pathParams.some((p) => SUBJECT_PARAMS.includes(p.name)) || bodyNamesSubject(op);
      const readsOnly = a.requires.every((q) => q.operation === 'read');
      for (const purpose of [...purposes, null]) {
        const policyOk = purpose !== null && a.requires.every((q) => grants(policy, role, purpose, q));
        const why = !roleOk
          ? roleWhy
          : purpose === null
            ? 'no purpose'
            : policyOk
              ? 'granted'
              : `no grant ${a.requires.map((q) => `${q.operation}:${q.categories.join('|')}`).join(' + ')}`;
        if (!bound) {
          cases.push({ op, role, purpose, expected: roleOk && policyOk ? 'allow' : 'deny', why });
          continue;
        }
        // Acting for one subject: its own data where the policy grants it; a request about no subject in the path
        // is its own only when it reads (a lookup answers only the subject's own records); never another's.
        const ownOk = roleOk && policyOk && (hasSubject || readsOnly);
        cases.push({
          op,
          role,
          purpose,
          acting: 'own',
          expected: ownOk ? 'allow' : 'deny',
          why: ownOk || !roleOk || !policyOk ? why : 'creates or changes data of no named subject',
        });
        if (hasSubject) {
          cases.push({ op, role, purpose, acting: 'other', expected: 'deny', why: 'another subject' });
        }
      }
    }
  }
  return cases;
}

/**
 * A sample of the matrix for a slower database: every case the policy allows, the request with no purpose, and
 * one refused purpose per route and role (a different one from route to route, so every purpose is refused
 * somewhere).
 */
export function samplePurposes(policy: Policy): (c: MatrixCase) => boolean {
  const purposes = policy.purposes.map((p) => p.id);
  return (c) => {
    if (c.expected !== 'deny' || c.purpose === null || purposes.length === 0) return true;
    let h = 0;
    for (const ch of `${c.op.method} ${c.op.path} ${c.role}`) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
    return c.purpose === purposes[h % purposes.length];
  };
}

/** What happened to one case. */
export interface CaseResult {
  method: string;
  path: string;
  role: string;
  purpose: string | null;
  acting?: Acting;
  expected: MatrixCase['expected'];
  why: string;
  status: number;
  code?: string;
  /** The refusal's message (documented never to hold personal data), for reading a mismatch. */
  message?: string;
  /** refused: an authorization refusal; withheld: answered about another subject but revealed nothing of it. */
  outcome: 'refused' | 'withheld' | 'passed';
  /** The route declares policy questions (it reaches personal data through the gate). */
  personal: boolean;
}

export interface MatrixReport {
  operations: number;
  /** Operations without an `x-sigilo-access` declaration. */
  undeclared: string[];
  cases: number;
  allowedExpected: number;
  deniedExpected: number;
  /** Cases whose answer differs from the policy's. */
  mismatches: CaseResult[];
  /** Refusals with no access-log entry of their own and no earlier entry of the same (actor, route) to summarise them. */
  unlogged: CaseResult[];
  /** Refusals whose code is not documented or whose status does not match it. */
  undocumented: CaseResult[];
  /** role → "METHOD path" → allow | deny | n/m (purposes allowed of those tried). */
  table: Map<string, Map<string, string>>;
  results: CaseResult[];
}

/** Ids a request can name, created for the run (a fresh customer where the route changes something). */
interface Fixture {
  accountId: string;
  personId: string;
  contractId: string;
  invoiceId: string;
  ticketId: string;
  contactId: string;
  credentialId: string;
  ruleId: string;
  recordingId: string;
  incidentId: string;
  /** A data-subject request of the person (access_complete, received) and an authority request (a CDR order). */
  subjectRequestId: string;
  authorityRequestId: string;
  /** The data subject of the record each path parameter names (plain `subject_id` columns). */
  subjects: Record<string, string>;
}

/** A customer with one of everything, through the services and routes of an allowed role. */
async function fixture(t: TestApp): Promise<Fixture> {
  const seed = await seedCustomer(t.sigilo);
  const { gate, services } = t.sigilo;
  const contactId = await gate.run(ctx('support_agent', 'contracting'), async (s) => {
    const person = await services.people.get(s, seed.personId);
    return person.phones![0]!.id;
  });
  const inject = async (
    role: string,
    purpose: string,
    method: 'POST' | 'PUT',
    url: string,
    payload: unknown,
  ) => {
    const res = await t.app.inject({
      method,
      url,
      headers: {
        authorization: `Bearer ${await t.token(role)}`,
        'sigilo-purpose': purpose,
        ...(payload instanceof Buffer ? { 'content-type': 'application/octet-stream' } : {}),
      },
      payload: payload as Record<string, unknown>,
    });
    if (res.statusCode >= 300) throw new Error(`fixture ${method} ${url}: ${res.statusCode} ${res.body}`);
    return res.json<{ id: string }>().id;
  };
  const credentialId = await inject(
    'provisioning',
    'provisioning',
    'POST',
    `/v1/people/${seed.personId}/provisioning-secrets`,
    { label: 'ramal 200', secret: MATRIX_VALUES.secret },
  );
  const ruleId = await inject('provisioning', 'provisioning', 'POST', '/v1/attribution-rules', {
    kind: 'accountcode',
    pattern: uniquePattern(),
    accountId: seed.accountId,
  });
  const recordingId = await inject(
    'support_agent',
    'support',
    'PUT',
    `/v1/tickets/${seed.ticketId}/recordings`,
    Buffer.from(MATRIX_VALUES.audio),
  );
  const incidentId = await inject('dpo', 'legal_obligation', 'POST', '/v1/incidents', {
    knownAt: '2026-03-01T10:00:00Z',
    description: 'Acesso indevido ao painel de testes',
    categories: ['name'],
    affectedSubjects: 1,
  });
  const subjectRequestId = await inject('dpo', 'subject_request', 'POST', '/v1/subject-requests', {
    subjectId: seed.personId,
    type: 'access_complete',
    channel: 'email',
  });
  const authorityRequestId = await inject(
    'legal',
    'authority_order',
    'POST',
    '/v1/authority-requests',
    cdrOrder(),
  );
  const db = t.sigilo.store.db;
  const subjectOfRow = async (table: 'contracts' | 'invoices' | 'tickets' | 'credentials', id: string) =>
    (await db.selectFrom(table).select('subject_id').where('id', '=', id).executeTakeFirstOrThrow())
      .subject_id;
  const subjects = {
    personId: seed.personId,
    accountId: seed.accountId,
    contractId: await subjectOfRow('contracts', seed.contractId),
    invoiceId: await subjectOfRow('invoices', seed.invoiceId),
    ticketId: await subjectOfRow('tickets', seed.ticketId),
    credentialId: await subjectOfRow('credentials', credentialId),
    requestId: seed.personId,
  };
  return {
    ...seed,
    contactId,
    credentialId,
    ruleId,
    recordingId,
    incidentId,
    subjectRequestId,
    authorityRequestId,
    subjects,
  };
}

/** Values the matrix sends (the hygiene suite checks none of them leaks). */
export const MATRIX_VALUES = {
  companyName: 'Matriz Autorizacao Ltda',
  personName: 'Beatriz Quintanilha Matriz',
  phone: '+55 11 93456-7788',
  password: 'matriz-senha-portal-7731',
  secret: 'matriz-sip-segredo-5519',
  pattern: 'ACCMATRIZ9',
  audio: 'RIFFmatriz-audio-bytes',
} as const;

let patterns = 0;
/** A fresh attribution pattern (kind and pattern are unique). */
function uniquePattern(): string {
  patterns += 1;
  return `${MATRIX_VALUES.pattern}${patterns}`;
}

/** A value for a property, by its name first (domain values a schema cannot say), then by its schema. */
function valueFor(name: string, schema: JsonSchema, f: Fixture, depth = 0): unknown {
  const byName: Record<string, unknown> = {
    name: MATRIX_VALUES.personName,
    taxId: '11.222.333/0001-81',
    cpf: '529.982.247-25',
    cnpj: '11.222.333/0001-81',
    phone: '(11) 98765-4321',
    number: '+5511987654321',
    value: MATRIX_VALUES.phone,
    email: 'Maria.Souza@Example.com.br',
    password: MATRIX_VALUES.password,
    secret: MATRIX_VALUES.secret,
    label: 'ramal 200',
    pattern: uniquePattern(),
    cep: '01310-200',
    state: 'SP',
    product: 'PABX em nuvem',
    title: 'Ramal sem audio',
    body: 'Mensagem de teste da matriz',
    description: 'Acesso indevido ao painel de testes',
    caller: '+5511987654321',
    callee: '+5521998765432',
    categories: ['name'],
    knownAt: '2026-03-01T10:00:00Z',
    affectedSubjects: 1,
    accountId: f.accountId,
    personId: f.personId,
    subjectId: f.personId,
    contractId: f.contractId,
    invoiceId: f.invoiceId,
    ticketId: f.ticketId,
    amountCents: 1000,
    kekVersion: 1,
    startedAt: '2026-03-01T10:00:00Z',
    endedAt: '2026-03-01T10:05:00Z',
    from: '2026-02-01T00:00:00Z',
    to: '2026-04-01T00:00:00Z',
  };
  if (name in byName && !schema.enum?.length) return byName[name];
  return fromSchema(schema, f, depth);
}

/** Optional body properties a canonical request sets. */
const OPTIONAL_SENT = new Set(['affectedSubjects']);

function fromSchema(schema: JsonSchema, f: Fixture, depth: number): unknown {
  if (schema.const !== undefined) return schema.const;
  if (schema.enum?.length) return schema.enum[0];
  const alt = schema.anyOf ?? schema.oneOf;
  if (alt?.length) return fromSchema(alt[0]!, f, depth);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object': {
      const props = schema.properties ?? {};
      const required = schema.required?.length ? [...schema.required] : Object.keys(props).slice(0, 1);
      // Optional properties a service needs one of (an incident's affected subjects or leaked key version).
      required.push(...Object.keys(props).filter((k) => OPTIONAL_SENT.has(k) && !required.includes(k)));
      return Object.fromEntries(required.map((k) => [k, valueFor(k, props[k] ?? {}, f, depth + 1)]));
    }
    case 'array':
      return depth > 4 ? [] : [fromSchema(schema.items ?? {}, f, depth + 1)];
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'boolean':
      return false;
    default:
      if (schema.format === 'date') return '2026-03-01';
      if (schema.format === 'date-time') return '2026-03-01T10:00:00Z';
      if (schema.format === 'uuid') return randomUUID();
      return 'texto de teste';
  }
}

/** Optional query parameters a canonical request sets (records are pushed for a named account). */
const BY_NAME_QUERY: Record<string, true> = { accountId: true };

/** The subject a request is about: the person it names, else the account its records belong to. */
function subjectOf(op: MatrixOperation, f: Fixture): string {
  const named = op.pathParams.find((p) => SUBJECT_PARAMS.includes(p.name));
  return (named && f.subjects[named.name]) ?? f.personId;
}

/** The URL, headers and payload of a valid request to `op` about the fixture's records. */
function requestOf(
  op: MatrixOperation,
  f: Fixture,
  guessIds = false,
): { url: string; payload?: string | Buffer; contentType?: string } {
  const ids: Record<string, string> = {
    accountId: f.accountId,
    personId: f.personId,
    contractId: f.contractId,
    invoiceId: f.invoiceId,
    ticketId: f.ticketId,
    contactId: f.contactId,
    credentialId: f.credentialId,
    ruleId: f.ruleId,
    recordingId: f.recordingId,
    requestId: f.subjectRequestId,
    id: op.path.startsWith('/v1/incidents')
      ? f.incidentId
      : op.path.startsWith('/v1/authority-requests')
        ? f.authorityRequestId
        : randomUUID(),
    version: '1',
    a: '1',
    b: '1',
  };
  let url = op.path;
  for (const p of op.pathParams) {
    const value = p.schema.enum?.length
      ? String(p.schema.enum[0])
      : guessIds && p.schema.format === 'uuid'
        ? randomUUID()
        : (ids[p.name] ?? randomUUID());
    url = url.replace(`{${p.name}}`, encodeURIComponent(value));
  }
  const qs = op.query
    .filter((q) => q.required || q.name in BY_NAME_QUERY)
    .map((q) => `${q.name}=${encodeURIComponent(String(valueFor(q.name, q.schema, f)))}`);
  if (qs.length) url += `?${qs.join('&')}`;
  if (op.body) {
    const value = fromSchema(op.body.schema, f, 0);
    return {
      url,
      contentType: op.body.type,
      payload:
        op.body.type === 'application/x-ndjson'
          ? (Array.isArray(value) ? value : [value]).map((v) => JSON.stringify(v)).join('\n')
          : JSON.stringify(value),
    };
  }
  // A route that takes a stream (a recording) has no body schema: send bytes.
  if (op.method === 'PUT')
    return { url, payload: Buffer.from(MATRIX_VALUES.audio), contentType: 'audio/wav' };
  return { url };
}

async function deniedLogged(t: TestApp, requestId: string): Promise<boolean> {
  const rows = await t.sigilo.store.db
    .selectFrom('access_log')
    .select(['outcome'])
    .where('request_id', '=', requestId)
    .execute();
  return rows.some((r) => r.outcome === 'denied');
}

/** Sends one request of the matrix and classifies its answer. */
async function send(
  t: TestApp,
  c: MatrixCase,
  f: Fixture,
  other: Fixture,
  guessIds = false,
): Promise<{ result: CaseResult; requestId: string; body: string }> {
  const req = requestOf(c.op, f, guessIds);
  const headers: Record<string, string> = { authorization: `Bearer ${await t.token(c.role)}` };
  if (c.purpose) headers['sigilo-purpose'] = c.purpose;
  if (c.acting) {
    headers['sigilo-subject'] = await t.subjectAssertion(
      c.acting === 'own' ? subjectOf(c.op, f) : subjectOf(c.op, other),
    );
  }
  if (req.contentType) headers['content-type'] = req.contentType;
  const res = await t.app.inject({
    method: c.op.method as 'GET',
    url: req.url,
    headers,
    ...(req.payload !== undefined ? { payload: req.payload } : {}),
  });
  let code: string | undefined;
  let message: string | undefined;
  if (res.statusCode >= 400) {
    try {
      const error = res.json<{ error?: { code?: string; message?: string } }>().error;
      code = error?.code;
      message = error?.message?.slice(0, 160);
    } catch {
      code = undefined;
    }
  }
  const refused =
    (code !== undefined && AUTHZ_CODES.has(code)) || (c.acting !== undefined && code === 'NOT_FOUND');
  // Acting for another subject, a listing may answer, if it shows nothing of the records the path names' owner holds.
  const withheld =
    !refused &&
    c.acting === 'other' &&
    res.statusCode < 300 &&
    !recordIdsOf(f).some((id) => !req.url.includes(id) && res.body.includes(id));
  return {
    result: {
      method: c.op.method,
      path: c.op.path,
      role: c.role,
      purpose: c.purpose,
      ...(c.acting ? { acting: c.acting } : {}),
      expected: c.expected,
      why: c.why,
      status: res.statusCode,
      ...(code ? { code } : {}),
      ...(message ? { message } : {}),
      outcome: refused ? 'refused' : withheld ? 'withheld' : 'passed',
      personal: (c.op.access?.requires?.length ?? 0) > 0,
    },
    requestId: String(res.headers['x-request-id']),
    body: res.body,
  };
}

/** The ids of every record of a fixture. */
function recordIdsOf(f: Fixture): string[] {
  return [
    f.accountId,
    f.personId,
    f.contractId,
    f.invoiceId,
    f.ticketId,
    f.contactId,
    f.credentialId,
    f.recordingId,
    f.subjectRequestId,
  ];
}

/** Whether a result contradicts its expectation. */
function mismatch(r: CaseResult): boolean {
  if (r.status >= 500) return true;
  if (r.expected === 'deny') return r.outcome === 'passed';
  if (r.expected === 'allow') return r.outcome === 'refused';
  return r.code === 'ROLE_NOT_ALLOWED';
}

/**
 * Runs the matrix against `t`: every case of `deriveCases` (those `sample` keeps), a fresh customer for every
 * route that changes data, refusals before the allowed requests of a route (so an allowed request cannot change
 * what a refused one would find).
 */
export async function runAuthzMatrix(
  t: TestApp,
  options: {
    sample?: (c: MatrixCase) => boolean;
    /** false: one customer for every route (traffic only, e.g. for the hygiene suite; expectations may not hold). */
    freshFixtures?: boolean;
  } = {},
): Promise<MatrixReport> {
  const spec = t.app.swagger() as unknown as Parameters<typeof operationsOf>[0];
  const ops = operationsOf(spec);
  const policy = t.sigilo.policies.policy();
  const all = deriveCases(ops, policy).filter((c) => options.sample?.(c) ?? true);
  const report: MatrixReport = {
    operations: ops.length,
    undeclared: ops.filter((o) => !o.access).map((o) => `${o.method} ${o.path}`),
    cases: 0,
    allowedExpected: 0,
    deniedExpected: 0,
    mismatches: [],
    unlogged: [],
    undocumented: [],
    table: new Map(),
    results: [],
  };
  const shared = await fixture(t);
  const other = await fixture(t);
  const roleRefusalsSeen = new Set<string>();
  for (const op of ops) {
    const cases = all.filter((c) => c.op === op);
    if (cases.length === 0) continue;
    const f = op.method === 'GET' || options.freshFixtures === false ? shared : await fixture(t);
    const ordered = [
      ...cases.filter((c) => c.expected === 'deny'),
      ...cases.filter((c) => c.expected !== 'deny'),
    ];
    const tally = new Map<string, { allowed: number; tried: number }>();
    for (const c of ordered) {
      const { result, requestId } = await send(t, c, f, other);
      report.cases++;
      if (c.expected === 'deny') report.deniedExpected++;
      else report.allowedExpected++;
      report.results.push(result);
      if (mismatch(result)) report.mismatches.push(result);
      if (result.outcome === 'refused') {
        const doc = result.code ? ERROR_CODES[result.code as keyof typeof ERROR_CODES] : undefined;
        if (!doc || doc.status !== result.status) report.undocumented.push(result);
        // Role refusals are summarised per actor and route after the first (a flood is one entry per minute).
        const kind = `${c.role}|${op.method} ${op.path}`;
        const logged = await deniedLogged(t, requestId);
        if (!logged && !(result.code === 'ROLE_NOT_ALLOWED' && roleRefusalsSeen.has(kind))) {
          report.unlogged.push(result);
        }
        if (result.code === 'ROLE_NOT_ALLOWED' && logged) roleRefusalsSeen.add(kind);
      }
      const key = c.acting === 'other' ? `${c.role} (other subject)` : c.role;
      const cell = tally.get(key) ?? { allowed: 0, tried: 0 };
      cell.tried++;
      if (result.outcome === 'passed') cell.allowed++;
      tally.set(key, cell);
    }
    for (const [role, { allowed, tried }] of tally) {
      const row = report.table.get(role) ?? new Map<string, string>();
      row.set(
        `${op.method} ${op.path}`,
        allowed === 0 ? 'deny' : allowed === tried ? 'allow' : `${allowed}/${tried}`,
      );
      report.table.set(role, row);
    }
  }
  return report;
}

/** Whether an answer holds records: a non-empty list, or an id of the fixture's records. */
function holdsData(body: string, f: Fixture): boolean {
  if (recordIdsOf(f).some((id) => body.includes(id))) return true;
  try {
    const value = JSON.parse(body) as unknown;
    if (Array.isArray(value)) return value.length > 0;
    if (value && typeof value === 'object') {
      const lists = Object.values(value).filter((v): v is unknown[] => Array.isArray(v));
      return lists.length === 0 || lists.some((l) => l.length > 0);
    }
    return true;
  } catch {
    // An export (NDJSON or CSV) holds data when it has a line beyond a CSV header.
    return body.trim().split('\n').filter(Boolean).length > 1;
  }
}

/** One attack and what came of it. */
export interface AttackResult {
  attack: string;
  method: string;
  path: string;
  role: string;
  status: number;
  code?: string;
  problem?: string;
}

/**
 * Attempts beyond the matrix: each allowed request again with guessed ids (must be a documented 404 or refusal,
 * never data), lookups of another subscriber by the subject portal (must reveal nothing of them), and every role
 * creating a token of every role (allowed only as the policy's issuance rules and `covers` say).
 */
export async function runAttacks(t: TestApp): Promise<AttackResult[]> {
  const spec = t.app.swagger() as unknown as Parameters<typeof operationsOf>[0];
  const ops = operationsOf(spec);
  const policy = t.sigilo.policies.policy();
  const results: AttackResult[] = [];
  const f = await fixture(t);
  const other = await fixture(t);

  // Guessed ids: every allowed case of a route whose path names a record, with random ids instead.
  for (const c of deriveCases(ops, policy)) {
    if (c.expected !== 'allow' || c.acting === 'other') continue;
    if (!c.op.pathParams.some((p) => p.schema.format === 'uuid')) continue;
    if (c.acting === 'own') continue; // the portal's guessed ids are asked for below, against its own subject
    const { result, body } = await send(t, c, f, other, true);
    const r: AttackResult = {
      attack: 'guessed id',
      method: c.op.method,
      path: c.op.path,
      role: c.role,
      status: result.status,
      ...(result.code ? { code: result.code } : {}),
    };
    if (result.status < 400 && holdsData(body, f)) r.problem = 'answered with data';
    if (result.status >= 500) r.problem = `${result.status}`;
    results.push(r);
  }

  // The portal acting for `other`'s person looks up `f`'s person by phone and e-mail: nothing of `f` may come back.
  const bound = policy.roles.filter((r) => r.subjectBound).map((r) => r.id);
  for (const role of bound) {
    for (const op of ops.filter(
      (o) => o.method === 'POST' && /lookup|search/.test(o.path) && o.takesPurpose,
    )) {
      for (const purpose of policy.purposes.map((p) => p.id)) {
        const req = requestOf(op, f);
        const res = await t.app.inject({
          method: 'POST',
          url: req.url,
          headers: {
            authorization: `Bearer ${await t.token(role)}`,
            'sigilo-purpose': purpose,
            'sigilo-subject': await t.subjectAssertion(other.personId),
            'content-type': 'application/json',
          },
          payload: req.payload as string,
        });
        const leaks = [f.personId, f.accountId].some((id) => res.body.includes(id));
        results.push({
          attack: 'lookup of another subscriber',
          method: 'POST',
          path: op.path,
          role,
          status: res.statusCode,
          ...(leaks ? { problem: 'revealed the other subscriber' } : {}),
          ...(res.statusCode >= 500 ? { problem: `${res.statusCode}` } : {}),
        });
      }
    }
  }

  // Escalation: every role asks POST /v1/tokens for every role.
  const tokenOp = ops.find((o) => o.method === 'POST' && o.path === '/v1/tokens');
  if (tokenOp) {
    for (const holder of policy.roles.map((r) => r.id)) {
      for (const target of policy.roles.map((r) => r.id)) {
        const res = await t.app.inject({
          method: 'POST',
          url: '/v1/tokens',
          headers: {
            authorization: `Bearer ${await t.token(holder)}`,
            'content-type': 'application/json',
            ...(isSubjectBound(policy, holder)
              ? { 'sigilo-subject': await t.subjectAssertion(f.personId) }
              : {}),
          },
          payload: JSON.stringify({ role: target, label: `matriz ${target}` }),
        });
        const code = res.statusCode >= 400 ? res.json<{ error: { code: string } }>().error.code : undefined;
        const issuance = issuanceOf(policy, target);
        const mayCall = routeRoles(policy, tokenOp.access)?.includes(holder) ?? true;
        const expected = !mayCall
          ? 'ROLE_NOT_ALLOWED'
          : issuance === 'admin' && covers(policy, holder, target)
            ? 201
            : issuance === 'admin' || issuance === 'dpo_approval'
              ? 202
              : 'ROLE_NOT_ISSUABLE';
        const got = code ?? res.statusCode;
        const r: AttackResult = {
          attack: 'token escalation',
          method: 'POST',
          path: '/v1/tokens',
          role: `${holder}→${target}`,
          status: res.statusCode,
          ...(code ? { code } : {}),
        };
        if (got !== expected) r.problem = `expected ${expected}`;
        if (res.statusCode === 202) {
          // A pending token works nowhere until a DPO (another person) approves it.
          const pending = res.json<{ token: string }>().token;
          const use = await t.app.inject({
            method: 'GET',
            url: '/v1/me',
            headers: { authorization: `Bearer ${pending}` },
          });
          if (use.statusCode < 400) r.problem = 'a pending token authenticated';
        }
        results.push(r);
      }
    }
  }
  return results;
}

/** Renders the role × route table as rows for a printed table (one row per route, one column per role). */
export function tableRows(report: MatrixReport): Record<string, string>[] {
  const roles = [...report.table.keys()];
  const routes = [...new Set([...report.table.values()].flatMap((r) => [...r.keys()]))];
  return routes.map((route) => ({
    route,
    ...Object.fromEntries(roles.map((role) => [role, report.table.get(role)?.get(route) ?? '-'])),
  }));
}
