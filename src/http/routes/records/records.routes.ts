/**
 * Telecom records: batch ingest from network platforms (JSON array or NDJSON stream), account and person
 * history, streaming export, authority searches, and the attribution rules that map records to accounts.
 */
import { access } from '../../route-access.ts';
import { Readable } from 'node:stream';
import { TypeBoxValidatorCompiler, type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { SigiloError } from '../../../errors.ts';
import { utf8Lines } from '../../body-parsers.ts';
import { accessContextOf, gated, type RouteDeps } from '../gated.ts';
import { Created, NoContent, PurposeHeaders, responses } from '../common.schema.ts';
import {
  AccountKindParams,
  ExportQuery,
  IngestBatch,
  IngestBody,
  IngestQuery,
  IngestLines,
  IngestReport,
  KindParams,
  NewRuleBody,
  PersonParams,
  RecordPage,
  RuleList,
  RuleParams,
  SearchBody,
  WindowQuery,
} from './records.schema.ts';

const MAX_RECORDS = 100_000;
const NDJSON_BODY_LIMIT = 256 * 1024 * 1024;

export const recordsRoutes: FastifyPluginCallbackTypebox<RouteDeps> = (app, deps, done) => {
  const { telecomIngest, telecomQuery, attributionRules } = deps.services;

  // NDJSON is streamed to the ingester line by line, never buffered whole.
  app.addContentTypeParser('application/x-ndjson', { bodyLimit: NDJSON_BODY_LIMIT }, (_req, payload, next) =>
    next(null, payload),
  );

  app.post(
    '/records/:kind',
    {
      config: { access: [access('write', 'call_record')] },
      bodyLimit: 64 * 1024 * 1024,
      schema: {
        tags: ['records'],
        summary: 'Ingest a batch of records (JSON array, or NDJSON with Content-Type application/x-ndjson)',
        description:
          'Up to 100,000 records. Idempotent: records whose natural key is stored are counted as duplicates. ' +
          'Records that fail validation or attribution are reported by position; the rest are stored.',
        headers: PurposeHeaders,
        params: KindParams,
        querystring: IngestQuery,
        // OpenAPI shows each kind's record; see ingestValidator for what is checked here.
        body: {
          content: {
            'application/json': { schema: IngestBatch },
            'application/x-ndjson': { schema: IngestLines },
          },
        } as unknown as typeof IngestBody,
        response: responses({ 200: IngestReport }),
      },
      validatorCompiler: ingestValidator,
    },
    async (request) => {
      const ctx = accessContextOf(request);
      const body = request.body as unknown;
      const items = body instanceof Readable ? ndjson(body) : Array.isArray(body) ? body : null;
      if (items === null)
        throw new SigiloError('VALIDATION_FAILED', 'body must be a JSON array or NDJSON', { path: 'body' });
      if (Array.isArray(items) && items.length > MAX_RECORDS) {
        throw new SigiloError('PAYLOAD_TOO_LARGE', `at most ${MAX_RECORDS} records per request`, {
          path: 'body',
        });
      }
      const report = await telecomIngest.ingestObjects(ctx, request.params.kind, items, {
        source: 'network_platform',
        ...(request.query.accountId ? { accountId: request.query.accountId } : {}),
      });
      return { ...report, errors: report.errors.slice(0, 1000) };
    },
  );

  app.get(
    '/accounts/:accountId/records/:kind',
    {
      config: { access: [access('read', 'call_record')] },
      schema: {
        tags: ['records'],
        summary: "One page of an account's records in a time window",
        headers: PurposeHeaders,
        params: AccountKindParams,
        querystring: WindowQuery,
        response: responses({ 200: RecordPage }),
      },
    },
    async (request) => {
      const { from, to, limit, cursor } = request.query;
      return present(
        await gated(deps, request, (s) =>
          telecomQuery.accountHistory(
            s,
            request.params.kind,
            request.params.accountId,
            window(from, to),
            limit ?? 100,
            cursor,
          ),
        ),
      );
    },
  );

  app.get(
    '/accounts/:accountId/records/:kind/export',
    {
      config: { access: [access('export', 'call_record')] },
      schema: {
        tags: ['records'],
        summary: "Stream an account's records (NDJSON or CSV)",
        headers: PurposeHeaders,
        params: AccountKindParams,
        querystring: ExportQuery,
      },
    },
    async (request, reply) => {
      const { from, to, format = 'ndjson' } = request.query;
      const ctx = accessContextOf(request);
      // The export is read in one short gate transaction and then sent; holding the transaction (SQLite has one
      // connection) while a slow client downloads would stall every other request.
      const lines: string[] = [];
      await deps.services.gate.run(ctx, async (s) => {
        for await (const line of telecomQuery.exportAccount(
          s,
          request.params.kind,
          request.params.accountId,
          window(from, to),
          format,
        )) {
          lines.push(line);
        }
      });
      reply.header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson');
      reply.header('content-disposition', `attachment; filename="records-${request.params.kind}.${format}"`);
      return reply.send(Readable.from(lines));
    },
  );

  app.get(
    '/people/:personId/calls',
    {
      config: { access: [access('read', 'call_record')] },
      schema: {
        tags: ['records'],
        summary: "A person's calls: their accounts' CDRs that involve one of their phone numbers",
        headers: PurposeHeaders,
        params: PersonParams,
        querystring: WindowQuery,
        response: responses({ 200: RecordPage }),
      },
    },
    async (request) => {
      const { from, to, limit, cursor } = request.query;
      return present(
        await gated(deps, request, (s) =>
          telecomQuery.personCalls(s, request.params.personId, window(from, to), limit ?? 100, cursor),
        ),
      );
    },
  );

  app.post(
    '/records/search',
    {
      // The gate extension answers a search across accounts only for an authority order.
      config: { access: [{ ...access('read', 'call_record'), purposes: ['authority_order'] }] },
      schema: {
        tags: ['records'],
        summary: 'Authority search across accounts: by number in a window, or by IP (+ port) at an instant',
        description:
          'Only with Sigilo-Purpose authority_order (SPEC §7); any other purpose is refused and logged.',
        headers: PurposeHeaders,
        body: SearchBody,
        response: responses({ 200: RecordPage }),
      },
    },
    async (request) => {
      const b = request.body;
      return present(
        await gated(deps, request, (s) =>
          'number' in b
            ? telecomQuery.searchByNumber(s, b.number, { from: b.from, to: b.to }, b.limit ?? 100, b.cursor)
            : telecomQuery.searchByIpPort(s, b.ip, b.port ?? null, b.instant),
        ),
      );
    },
  );

  app.get(
    '/attribution-rules',
    {
      config: { access: [access('read', 'network_identifier')] },
      schema: {
        tags: ['records'],
        summary: 'List attribution rules (network identifiers: read, purpose provisioning)',
        headers: PurposeHeaders,
        response: responses({ 200: RuleList }),
      },
    },
    async (request) => ({ rules: await gated(deps, request, (s) => attributionRules.list(s)) }),
  );

  app.post(
    '/attribution-rules',
    {
      // Adding a rule reads the rules first: a kind and pattern are unique.
      config: { access: [access('read', 'network_identifier'), access('write', 'network_identifier')] },
      schema: {
        tags: ['records'],
        summary: 'Add an attribution rule (network identifiers: write, purpose provisioning)',
        headers: PurposeHeaders,
        body: NewRuleBody,
        response: responses({ 201: Created }),
      },
    },
    async (request, reply) => {
      const { kind, pattern, accountId } = request.body;
      const { id } = await gated(deps, request, (s) => attributionRules.add(s, kind, pattern, accountId));
      request.log.info({ event: 'attribution_rule.created', ruleId: id, kind }, 'attribution rule created');
      return reply.code(201).send({ id });
    },
  );

  app.delete(
    '/attribution-rules/:ruleId',
    {
      config: { access: [access('delete', 'network_identifier')] },
      schema: {
        tags: ['records'],
        summary: 'Remove an attribution rule (network identifiers: delete, purpose provisioning)',
        headers: PurposeHeaders,
        params: RuleParams,
        response: responses({ 204: NoContent }),
      },
    },
    async (request, reply) => {
      await gated(deps, request, (s) => attributionRules.remove(s, request.params.ruleId));
      return reply.code(204).send(null);
    },
  );

  done();
};

/**
 * The ingest route's validator: a JSON body is checked only for being an array of objects (`IngestBody`, not the
 * `IngestBatch` that OpenAPI shows); each record is then checked against its kind's schema by the ingester, so
 * one bad record is reported by position instead of refusing the batch. NDJSON is a stream, checked line by line
 * the same way.
 */
const ingestValidator: typeof TypeBoxValidatorCompiler = (route) =>
  TypeBoxValidatorCompiler(
    route.httpPart === 'body' && route.contentType === 'application/json'
      ? { ...route, schema: IngestBody }
      : route,
  );

function window(from?: string, to?: string): { from?: string; to?: string } {
  return { ...(from ? { from } : {}), ...(to ? { to } : {}) };
}

/** Records as the wire carries them (already masked by the gate). */
function present(p: { records: object[]; next: string | null }): {
  records: Record<string, unknown>[];
  next: string | null;
} {
  return { records: p.records.map((r) => ({ ...r })), next: p.next };
}

async function* ndjson(stream: Readable): AsyncGenerator<unknown> {
  // Lines are decoded strictly: invalid UTF-8 refuses the request (400) rather than storing U+FFFD.
  let line = 0;
  for await (const text of utf8Lines(stream)) {
    line++;
    if (text.trim() === '') continue;
    try {
      yield JSON.parse(text) as unknown;
    } catch {
      // A malformed line is reported by the ingester as an invalid record at its position.
      yield { __invalid_json_line: line };
    }
    if (line > MAX_RECORDS)
      throw new SigiloError('PAYLOAD_TOO_LARGE', `at most ${MAX_RECORDS} records per request`, {
        path: 'body',
      });
  }
}
