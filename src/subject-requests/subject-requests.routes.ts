/**
 * HTTP adapter of data-subject requests (mounted under /v1), purpose `subject_request`:
 *   POST /subject-requests                          register a request (the clock starts)
 *   GET  /subject-requests?due=overdue|due_soon     list, soonest deadline first
 *   GET  /subject-requests/:id                      one request with its history
 *   POST /subject-requests/:id/verification         record how the identity was verified
 *   POST /subject-requests/:id/start | /extension | /refusal
 *   GET  /subject-requests/:id/export               the streamed JSON export (access, portability)
 *   GET  /subject-requests/:id/access-history       who accessed the subject's data, when and why
 *   POST /subject-requests/:id/deletion             answer a deletion request (kept vs deleted per category)
 *   POST /subject-requests/:id/anonymisation | /blocking   unnecessary data erased or blocked, per category
 *   POST /subject-requests/:id/blocks/lift          lift the blocks of a blocking request (DPO)
 *   POST /subject-requests/:id/correction           apply the corrected values through the person service
 *   GET  /subject-requests/:id/answer               simplified, sharing and consent answers
 *   GET  /subject-requests/:id/report?format=pdf|html  the Portuguese declaration of a complete access
 * The DPO works every request. The subject portal (its request bound to one subject by a signed assertion)
 * creates, verifies by its own session, lists and follows its subject's requests and downloads their answers;
 * another subject's request answers as one that does not exist. Starting, extending, refusing and deletion
 * stay with the DPO.
 */
import { PassThrough, type Readable } from 'node:stream';
import { Type, type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { SigiloError } from '../errors.ts';
import { PurposeHeaders, responses } from '../http/routes/common.schema.ts';
import { gated, type RouteDeps } from '../http/routes/gated.ts';
import type { CategoryAccess } from '../http/route-access.ts';
import type { Operation } from '../policy/policy.evaluate.ts';
import { SUBJECT_REQUEST_PURPOSE } from './sealing/subject-request.gate.ts';
import { renderSubjectReportHtml, renderSubjectReportPdf } from '../reports/subject-report.render.ts';
import {
  AccessHistory,
  BlockLiftAnswer,
  BlockLiftBody,
  CorrectionAnswer,
  CorrectionBody,
  DeletionAnswer,
  ExtensionBody,
  InformationAnswer,
  ListQuery,
  NewRequestBody,
  RefusalBody,
  ReportQuery,
  RequestList,
  RequestParams,
  RequestWithHistory,
  RestrictionAnswerSchema,
  SubjectRequest,
  VerificationBody,
} from './subject-requests.schema.ts';

const tags = ['subject-requests'];

export const subjectRequestRoutes: FastifyPluginCallbackTypebox<RouteDeps> = (app, deps, done) => {
  const { subjectRequests: requests, subjectAnswers: answers } = deps.services;
  // Every step and read asks first for the subject-rights purpose (requireRequestPurpose); what an answer then
  // reads of the subject, the gate decides category by category under that purpose.
  const asks = (operation: Operation): CategoryAccess[] => [
    { operation, categories: [], purposes: [SUBJECT_REQUEST_PURPOSE] },
  ];
  const staff = 'subject_request.work' as const;
  // Routes the portal may use too: the service keeps it to the one subject it acts for.
  const both = ['subject_request.work', 'subject_request.act_for_own_subject'] as const;
  const config = { duty: staff, access: asks('write') };
  const portal = { duty: both, access: asks('read') };
  const portalWrites = { duty: both, access: asks('write') };
  const portalExports = { duty: both, access: asks('export') };

  app.post(
    '/subject-requests',
    {
      config: portalWrites,
      schema: {
        tags,
        summary: 'Register a data-subject request (LGPD Art. 18); the deadline is computed in Brasília time',
        headers: PurposeHeaders,
        body: NewRequestBody,
        response: responses({ 201: SubjectRequest }),
      },
    },
    async (request, reply) =>
      reply.code(201).send(await gated(deps, request, (s) => requests.create(s, request.body))),
  );

  app.get(
    '/subject-requests',
    {
      config: portal,
      schema: {
        tags,
        summary: 'List requests, soonest deadline first; due=overdue or due_soon lists open ones only',
        headers: PurposeHeaders,
        querystring: ListQuery,
        response: responses({ 200: RequestList }),
      },
    },
    async (request) => ({ requests: await gated(deps, request, (s) => requests.list(s, request.query)) }),
  );

  app.get(
    '/subject-requests/:requestId',
    {
      config: portal,
      schema: {
        tags,
        summary: 'One request with its history',
        headers: PurposeHeaders,
        params: RequestParams,
        response: responses({ 200: RequestWithHistory }),
      },
    },
    async (request) =>
      gated(deps, request, async (s) => ({
        request: await requests.get(s, request.params.requestId),
        history: await requests.history(s, request.params.requestId),
      })),
  );

  app.post(
    '/subject-requests/:requestId/verification',
    {
      config: portalWrites,
      schema: {
        tags,
        summary: "Record how the subject's identity was verified (nothing is released before)",
        headers: PurposeHeaders,
        params: RequestParams,
        body: VerificationBody,
        response: responses({ 200: SubjectRequest }),
      },
    },
    async (request) =>
      gated(deps, request, (s) => requests.verifyIdentity(s, request.params.requestId, request.body)),
  );

  app.post(
    '/subject-requests/:requestId/start',
    {
      config,
      schema: {
        tags,
        summary: 'Start work on a verified request',
        headers: PurposeHeaders,
        params: RequestParams,
        response: responses({ 200: SubjectRequest }),
      },
    },
    async (request) => gated(deps, request, (s) => requests.start(s, request.params.requestId)),
  );

  app.post(
    '/subject-requests/:requestId/extension',
    {
      config,
      schema: {
        tags,
        summary: 'Extend the deadline once, by at most 15 calendar days, for a coded reason',
        headers: PurposeHeaders,
        params: RequestParams,
        body: ExtensionBody,
        response: responses({ 200: SubjectRequest }),
      },
    },
    async (request) =>
      gated(deps, request, (s) =>
        requests.extend(s, request.params.requestId, request.body.days, request.body.reason),
      ),
  );

  app.post(
    '/subject-requests/:requestId/refusal',
    {
      config,
      schema: {
        tags,
        summary: 'Refuse the request with a coded reason (LGPD Art. 18 §4)',
        headers: PurposeHeaders,
        params: RequestParams,
        body: RefusalBody,
        response: responses({ 200: SubjectRequest }),
      },
    },
    async (request) =>
      gated(deps, request, (s) => requests.refuse(s, request.params.requestId, request.body.reason)),
  );

  app.get(
    '/subject-requests/:requestId/export',
    {
      config: portalExports,
      schema: {
        tags,
        summary: 'The complete export (sigilo.subject-export v1, docs/subject-export-schema.md), streamed',
        description:
          'Answers access_complete and portability requests. Refused (403 IDENTITY_NOT_VERIFIED) before the ' +
          'identity is verified. The body is written while the data is read; if reading fails midway the ' +
          'connection is cut, so a truncated document never parses as a whole one.',
        headers: PurposeHeaders,
        params: RequestParams,
        response: responses({
          200: Type.Unsafe<Readable>({ type: 'object', description: 'The export document.' }),
        }),
      },
    },
    async (request, reply) => {
      const id = request.params.requestId;
      // Refusals (identity, state, type) must be an error response, not a cut stream: check first.
      await gated(deps, request, (s) => answers.assertReleasable(s, id, 'export'));
      const body = new PassThrough();
      gated(deps, request, (s) => answers.exportTo(s, id, body)).then(
        () => body.end(),
        (err: unknown) => {
          request.log.warn(
            { code: err instanceof SigiloError ? err.code : 'INTERNAL_ERROR' },
            'subject export failed',
          );
          body.destroy(err instanceof Error ? err : new Error('export failed'));
        },
      );
      return reply
        .type('application/json; charset=utf-8')
        .header('content-disposition', `attachment; filename="subject-export-${id}.json"`)
        .send(body);
    },
  );

  app.get(
    '/subject-requests/:requestId/access-history',
    {
      config: portal,
      schema: {
        tags,
        summary: "The subject's access history: who (role and pseudonym), when, why; legal secrecy excluded",
        headers: PurposeHeaders,
        params: RequestParams,
        response: responses({ 200: AccessHistory }),
      },
    },
    async (request) => ({
      entries: await gated(deps, request, (s) => answers.accessHistory(s, request.params.requestId)),
    }),
  );

  app.get(
    '/subject-requests/:requestId/answer',
    {
      config: portal,
      schema: {
        tags,
        summary: 'The answer to a confirmation, simplified access, sharing, consent or revocation request',
        headers: PurposeHeaders,
        params: RequestParams,
        response: responses({ 200: InformationAnswer }),
      },
    },
    async (request) => gated(deps, request, (s) => answers.information(s, request.params.requestId)),
  );

  app.post(
    '/subject-requests/:requestId/deletion',
    {
      config,
      schema: {
        tags,
        summary: 'Answer a deletion request: per category deleted, or kept with its rule and until when',
        description:
          'When nothing must be kept the subject is crypto-shredded (and recorded in the shred journal, so a ' +
          'restored backup does not bring it back); what the law keeps (LGPD Art. 16) is deleted by retention ' +
          'on the date given. A category under a legal hold is kept with the same wording as any other.',
        headers: PurposeHeaders,
        params: RequestParams,
        response: responses({ 200: DeletionAnswer }),
      },
    },
    async (request) => {
      const answer = await gated(deps, request, (s) => answers.deletion(s, request.params.requestId));
      if (answer.shredded) await deps.services.recordShreds([answer.subjectId]);
      return { shredded: answer.shredded, categories: answer.categories };
    },
  );

  app.post(
    '/subject-requests/:requestId/anonymisation',
    {
      config,
      schema: {
        tags,
        summary:
          'Answer an anonymisation request: unnecessary data erased, kept by law, or needed by the contract',
        description:
          'Per category held: necessary (a purpose of the contract in force needs it), kept (the law keeps it, ' +
          'with the rule and until when), anonymised (erased now; the subject crypto-shredded when that is ' +
          'everything, recorded in the shred journal) or expired (the next retention sweep deletes it).',
        headers: PurposeHeaders,
        params: RequestParams,
        response: responses({ 200: RestrictionAnswerSchema }),
      },
    },
    async (request) => {
      const answer = await gated(deps, request, (s) => answers.anonymisation(s, request.params.requestId));
      if (answer.shredded) await deps.services.recordShreds([answer.subjectId]);
      return { shredded: answer.shredded, categories: answer.categories };
    },
  );

  app.post(
    '/subject-requests/:requestId/blocking',
    {
      config,
      schema: {
        tags,
        summary: 'Answer a blocking request: unnecessary data kept but refused to every purpose but the law',
        description:
          'Every category no purpose of the contract in force needs is blocked in the gate: refused ' +
          '(403 PROCESSING_BLOCKED, logged) to every purpose the policy does not mark continuesWhenBlocked.',
        headers: PurposeHeaders,
        params: RequestParams,
        response: responses({ 200: RestrictionAnswerSchema }),
      },
    },
    async (request) => {
      const answer = await gated(deps, request, (s) => answers.blocking(s, request.params.requestId));
      return { shredded: answer.shredded, categories: answer.categories };
    },
  );

  app.post(
    '/subject-requests/:requestId/blocks/lift',
    {
      config,
      schema: {
        tags,
        summary: 'Lift the blocks a blocking request put in force (the subject asked, or the reason ended)',
        description:
          'The categories named (default: every block of the request) return to every purpose the policy ' +
          'grants. Logged (unblock), recorded in the request history (block_lifted); the answer is in Portuguese.',
        headers: PurposeHeaders,
        params: RequestParams,
        body: BlockLiftBody,
        response: responses({ 200: BlockLiftAnswer }),
      },
    },
    async (request) => {
      const answer = await gated(deps, request, (s) =>
        answers.liftBlocks(s, request.params.requestId, request.body),
      );
      return { lifted: answer.lifted, stillBlocked: answer.stillBlocked };
    },
  );

  app.post(
    '/subject-requests/:requestId/correction',
    {
      config,
      schema: {
        tags,
        summary: 'Apply a correction request through the person service (each change names a listed item)',
        headers: PurposeHeaders,
        params: RequestParams,
        body: CorrectionBody,
        response: responses({ 200: CorrectionAnswer }),
      },
    },
    async (request) =>
      gated(deps, request, (s) => answers.correct(s, request.params.requestId, request.body.changes)),
  );

  app.get(
    '/subject-requests/:requestId/report',
    {
      config: portal,
      schema: {
        tags,
        summary: 'The Portuguese report of a complete access request, as PDF (default) or HTML',
        description:
          'Every category held about the subject with its purposes, legal basis, source, collection dates, ' +
          'retention rule and until when it is kept; the sharing that may be disclosed; the latest accesses.',
        headers: PurposeHeaders,
        params: RequestParams,
        querystring: ReportQuery,
        response: responses({ 200: Type.Unsafe<Buffer | string>({ type: 'string', format: 'binary' }) }),
      },
    },
    async (request, reply) => {
      const model = await gated(deps, request, (s) => answers.report(s, request.params.requestId));
      const name = `declaracao-${request.params.requestId}`;
      if (request.query.format === 'html') {
        return reply
          .type('text/html; charset=utf-8')
          .header('content-disposition', `inline; filename="${name}.html"`)
          .send(renderSubjectReportHtml(model));
      }
      return reply
        .type('application/pdf')
        .header('content-disposition', `attachment; filename="${name}.pdf"`)
        .send(await renderSubjectReportPdf(model));
    },
  );

  done();
};
