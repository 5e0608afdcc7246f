/**
 * Fuzzing driven by the live OpenAPI document: every path and method the app serves, with a token of every role the
 * policy declares (plus none and garbage), every purpose the policy declares (plus hostile ones), path ids that exist,
 * are guessed or are injection payloads, and bodies generated from the route's schema, valid or mutated. A route or
 * role added later is covered without a new test.
 *
 * Each answer must be below 500, in the documented error shape with a documented code when it is a refusal, and
 * echo nothing that was sent; a refused request must leave every table unchanged (the access log may only grow),
 * and the captured logs must hold none of what was sent.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { sql } from 'kysely';
import { ERROR_CODES } from '../../src/errors.ts';
import type { TestApp } from '../support/http.ts';
import { seedCustomer } from '../support/http.ts';
import { hostileStrings, mutated, valid, type JsonSchema } from './schema-arbitrary.ts';

interface Operation {
  method: string;
  path: string;
  pathParams: string[];
  query: { name: string; schema: JsonSchema }[];
  body?: { type: string; schema: JsonSchema };
}

/** One request the fuzzer sent, as far as a report needs it. */
export interface FuzzCase {
  method: string;
  url: string;
  role: string;
  status: number;
  code?: string;
}

export interface FuzzViolation extends FuzzCase {
  problem: string;
}

export interface FuzzReport {
  operations: number;
  cases: number;
  refused: number;
  byStatus: Record<string, number>;
  violations: FuzzViolation[];
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
/** Fixed path values for parameters that are not ids (validated against an enum by the route). */
const ENUM_PARAMS: Record<string, string[]> = { kind: ['cdr', 'connection', 'access', 'sms', 'email'] };

/** The operations of the document, with what the fuzzer needs to build requests for them. */
export function operationsOf(spec: { paths: Record<string, Record<string, unknown>> }): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const method of METHODS) {
      const op = item[method] as
        | {
            parameters?: { in: string; name: string; schema?: JsonSchema }[];
            requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
          }
        | undefined;
      if (!op) continue;
      const params = op.parameters ?? [];
      const content = op.requestBody?.content ?? {};
      const type = Object.keys(content)[0];
      ops.push({
        method: method.toUpperCase(),
        path,
        pathParams: [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!),
        query: params.filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: p.schema ?? {} })),
        body: type ? { type, schema: content[type]!.schema ?? {} } : undefined,
      });
    }
  }
  return ops;
}

/** A stable digest of every table but the access log's own, and the access log's entries so far. */
async function snapshot(t: TestApp): Promise<{ data: string; logRows: number; logDigest: string }> {
  const db = t.sigilo.store.db;
  const dialect = t.sigilo.store.dialect;
  const names =
    dialect === 'sqlite'
      ? (
          await sql<{
            name: string;
          }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(db)
        ).rows.map((r) => r.name)
      : (
          await sql<{ name: string }>`select table_name as name from information_schema.tables
            where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(db)
        ).rows.map((r) => r.name);
  const data = createHash('sha256');
  let logRows = 0;
  const log = createHash('sha256');
  for (const name of names.sort()) {
    const rows = (await sql<Record<string, unknown>>`select * from ${sql.table(name)}`.execute(db)).rows;
    const lines = rows.map((r) =>
      JSON.stringify(r, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('hex') : v)),
    );
    if (/access_log|audit/.test(name)) {
      // The access log may only grow: refusals are logged. Its existing entries must stay as they were.
      if (name === 'access_log') logRows = rows.length;
      log.update(name).update(lines.sort().join('\n'));
      continue;
    }
    data.update(name).update('\0').update(lines.sort().join('\n'));
  }
  return { data: data.digest('hex'), logRows, logDigest: log.digest('hex') };
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<T>((_r, reject) => (timer = setTimeout(() => reject(new Error(`hang: ${what}`)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `runsPerOperation` generated requests against every operation of the app's live OpenAPI document. */
export async function runOpenApiFuzz(
  t: TestApp,
  options: { runsPerOperation: number; seed: number },
): Promise<FuzzReport> {
  const mark = `fz${randomBytes(5).toString('hex')}`;
  const seed = await seedCustomer(t.sigilo);
  const spec = t.app.swagger() as unknown as { paths: Record<string, Record<string, unknown>> };
  const ops = operationsOf(spec);
  const policy = t.sigilo.policies.policy();
  const roles = [...policy.roles.map((r) => r.id), '(none)', '(garbage)'];
  const purposes = [...policy.purposes.map((p) => p.id), '(none)', ...hostileStrings(mark).slice(0, 4)];
  const tokens = new Map<string, string>();
  for (const role of policy.roles.map((r) => r.id)) {
    try {
      tokens.set(role, await t.token(role));
    } catch {
      // A role that cannot be issued this way (e.g. system) is fuzzed without a token.
    }
  }
  const ids: Record<string, string> = {
    accountId: seed.accountId,
    personId: seed.personId,
    contractId: seed.contractId,
    invoiceId: seed.invoiceId,
    ticketId: seed.ticketId,
  };
  const pathValue = (name: string): fc.Arbitrary<string> =>
    fc.oneof(
      fc.constantFrom(...(ENUM_PARAMS[name] ?? [ids[name] ?? randomUUID()])),
      fc.uuid(),
      fc.constantFrom(...hostileStrings(mark).slice(0, 8)).map(encodeURIComponent),
      fc.constant(`${mark}%ZZ`),
    );

  const report: FuzzReport = { operations: ops.length, cases: 0, refused: 0, byStatus: {}, violations: [] };
  let before = await snapshot(t);
  for (const op of ops) {
    const request = fc.record({
      role: fc.constantFrom(...roles),
      purpose: fc.constantFrom(...purposes),
      params: fc.tuple(...op.pathParams.map(pathValue), fc.constant('')),
      query: fc.array(
        fc.tuple(
          fc.constantFrom(...(op.query.length ? op.query : [{ name: mark, schema: {} }])),
          fc.boolean(),
        ),
        { maxLength: 3 },
      ),
      body: op.body ? fc.oneof(valid(op.body.schema), mutated(op.body.schema, mark)) : fc.constant(undefined),
      queryValues: fc.array(
        fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom(...hostileStrings(mark))),
        {
          minLength: 3,
          maxLength: 3,
        },
      ),
    });
    const samples = fc.sample(request, { numRuns: options.runsPerOperation, seed: options.seed });
    for (const s of samples) {
      let url = op.path;
      op.pathParams.forEach((name, i) => (url = url.replace(`{${name}}`, s.params[i]!)));
      const qs = s.query
        .map(([q, ok], i) => {
          const v = ok
            ? String(fc.sample(valid(q.schema), { numRuns: 1, seed: options.seed + i })[0])
            : s.queryValues[i]!;
          return `${encodeURIComponent(q.name)}=${encodeURIComponent(v)}`;
        })
        .join('&');
      if (qs) url += `?${qs}`;
      const headers: Record<string, string> = { 'x-fuzz': mark };
      if (s.role === '(garbage)') headers.authorization = `Bearer sgl_${mark}`;
      else if (s.role !== '(none)' && tokens.has(s.role))
        headers.authorization = `Bearer ${tokens.get(s.role)}`;
      if (s.purpose !== '(none)') headers['sigilo-purpose'] = s.purpose.replace(/[^\x20-\x7e]/g, '?');
      let payload: string | undefined;
      if (op.body && s.body !== undefined) {
        headers['content-type'] = op.body.type;
        payload =
          op.body.type === 'application/x-ndjson'
            ? (Array.isArray(s.body) ? s.body : [s.body]).map((x) => JSON.stringify(x)).join('\n')
            : JSON.stringify(s.body);
      }
      const res = await withTimeout(
        t.app.inject({ method: op.method as 'GET', url, headers, payload }),
        15_000,
        `${op.method} ${op.path}`,
      );
      report.cases++;
      report.byStatus[res.statusCode] = (report.byStatus[res.statusCode] ?? 0) + 1;
      const c: FuzzCase = { method: op.method, url: op.path, role: s.role, status: res.statusCode };
      const problem = (p: string): void => void report.violations.push({ ...c, problem: p });
      if (res.statusCode >= 500) problem(`${res.statusCode} answer`);
      if (res.statusCode >= 400) {
        report.refused++;
        let body: { error?: { code?: unknown; message?: unknown; details?: unknown } } = {};
        try {
          body = JSON.parse(res.body) as typeof body;
        } catch {
          problem('refusal body is not JSON');
        }
        const code = body.error?.code;
        c.code = typeof code === 'string' ? code : undefined;
        if (typeof code !== 'string' || !(code in ERROR_CODES)) problem(`undocumented code ${String(code)}`);
        else if (ERROR_CODES[code as keyof typeof ERROR_CODES].status !== res.statusCode)
          problem(`status ${res.statusCode} does not match ${code}`);
        if (typeof body.error?.message !== 'string' || typeof body.error?.details !== 'object')
          problem('refusal not in {error:{code,message,details}} shape');
        const echoed = res.body.includes(mark) || JSON.stringify(res.headers).includes(mark);
        if (echoed) problem('refusal echoes what was sent');
      }
      const after = await snapshot(t);
      if (res.statusCode >= 400) {
        if (after.data !== before.data) problem('a refused request changed stored data');
        if (after.logRows < before.logRows) problem('a refused request removed access-log entries');
      }
      before = after;
    }
  }
  if (t.logs.some((l) => l.includes(mark))) {
    report.violations.push({
      method: '*',
      url: '*',
      role: '*',
      status: 0,
      problem: 'logs hold what was sent',
    });
  }
  return report;
}
