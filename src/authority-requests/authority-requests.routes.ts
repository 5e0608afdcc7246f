/**
 * HTTP adapter of authority requests (mounted under /v1), legal role, purpose `authority_order`:
 *   POST /authority-requests                         intake (rules checked; refusals carry their rule's code)
 *   GET  /authority-requests?state&overdue&limit     list; overdue = past the deadline and not done
 *   GET  /authority-requests/counts                  per month and authority type (DPO; no purpose, no targets)
 *   GET  /authority-requests/signing-key             the Ed25519 key packages are signed with (to publish)
 *   GET  /authority-requests/:id                     one request with its history
 *   GET  /authority-requests/:id/targets             its targets (opened through the gate)
 *   POST /authority-requests/:id/{validate,approve,reject,cancel,deliver,close,court-order}
 *   POST /authority-requests/:id/package             search + signed package, encrypted for the recipient
 * Validate → authenticate (route roles) → gate.run(service) → present.
 */
import { Type, type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { gated, type RouteDeps } from '../http/routes/gated.ts';
import { PurposeHeaders, responses } from '../http/routes/common.schema.ts';
import { accessContextOf } from '../http/routes/gated.ts';
import { access } from '../http/route-access.ts';
import { AUTHORITY_REQUEST_CATEGORY } from './sealing/authority-requests.gate.ts';
import {
  AuthorityRequestView,
  Decision,
  NewAuthorityRequest,
  REQUEST_STATES,
} from './authority-request.schema.ts';

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });
const ListQuery = Type.Object({
  state: Type.Optional(Type.Unsafe<string>({ type: 'string', enum: [...REQUEST_STATES] })),
  overdue: Type.Optional(Type.Boolean()),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
});
const TargetView = Type.Object(
  {
    kind: Type.String(),
    value: Type.Optional(Type.String()),
    id: Type.Optional(Type.String()),
    ip: Type.Optional(Type.String()),
    port: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
    at: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
const HistoryEntry = Type.Object({
  kind: Type.String(),
  at: Type.String(),
  actor: Type.String(),
  details: Type.Unknown(),
});
const PackageBody = Type.Union([
  Type.Object(
    {
      recipient: Type.String({
        maxLength: 100,
        description: "The authority's age X25519 public key (age1…).",
      }),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      passphrase: Type.String({
        minLength: 12,
        maxLength: 200,
        description: 'Encrypt to this passphrase instead (deliver it separately); never stored.',
      }),
    },
    { additionalProperties: false },
  ),
]);
const CourtOrderBody = Type.Object(
  { ref: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);

export const authorityRequestsRoutes: FastifyPluginCallbackTypebox<RouteDeps> = (app, deps, done) => {
  const svc = deps.services.authorityRequests;
  const duty = 'authority_request.work' as const;
  // The policy questions the service asks first (before any lookup): the request's own category, under the
  // purpose the policy grants it for (authority_order).
  const reads = { duty, access: [access('read', AUTHORITY_REQUEST_CATEGORY)] };
  const works = {
    duty,
    access: [access('read', AUTHORITY_REQUEST_CATEGORY), access('write', AUTHORITY_REQUEST_CATEGORY)],
  };
  const tags = ['authority-requests'];
  // The context of one request: under legal secrecy when the request is secret.
  const ctxOf = (request: FastifyRequest & { params: { id: string } }) =>
    svc.contextFor(accessContextOf(request), request.params.id);

  app.post(
    '/authority-requests',
    {
      config: { duty, access: [access('write', AUTHORITY_REQUEST_CATEGORY)] },
      schema: {
        tags,
        summary: 'Record an authority request (checked against the legal rules)',
        headers: PurposeHeaders,
        body: NewAuthorityRequest,
        response: responses({ 201: AuthorityRequestView }),
      },
    },
    async (request, reply) => {
      const ctx = await svc.contextFor(accessContextOf(request), request.body);
      const view = await gated(deps, request, (s) => svc.create(s, request.body), ctx);
      return reply.code(201).send(view);
    },
  );

  app.get(
    '/authority-requests',
    {
      config: reads,
      schema: {
        tags,
        summary: 'Requests newest first, or the overdue ones by deadline',
        headers: PurposeHeaders,
        querystring: ListQuery,
        response: responses({ 200: Type.Object({ requests: Type.Array(AuthorityRequestView) }) }),
      },
    },
    async (request) => ({
      requests: await gated(deps, request, (s) =>
        svc.list(s, {
          ...(request.query.state ? { state: request.query.state } : {}),
          ...(request.query.overdue ? { overdue: true } : {}),
          ...(request.query.limit ? { limit: request.query.limit } : {}),
        }),
      ),
    }),
  );

  app.get(
    '/authority-requests/counts',
    {
      config: { duty: 'authority_request.read_counts' },
      schema: {
        tags,
        summary: 'Requests per month and authority type (no references, no targets)',
        response: responses({
          200: Type.Object({
            counts: Type.Array(
              Type.Object({ month: Type.String(), authorityType: Type.String(), count: Type.Integer() }),
            ),
          }),
        }),
      },
    },
    async (request) => ({
      counts: await svc.monthlyCounts(accessContextOf(request)),
    }),
  );

  app.get(
    '/authority-requests/signing-key',
    {
      config: { duty: 'authority_request.read_signing_key' },
      schema: {
        tags,
        summary: 'The Ed25519 public key answer packages are signed with (publish it for verify-export)',
        response: responses({
          200: Type.Object({ algorithm: Type.Literal('Ed25519'), publicKey: Type.String() }),
        }),
      },
    },
    () => ({
      algorithm: 'Ed25519' as const,
      publicKey: svc.signingPublicKey().toString('base64'),
    }),
  );

  app.get(
    '/authority-requests/:id',
    {
      config: reads,
      schema: {
        tags,
        summary: 'One request with its history',
        headers: PurposeHeaders,
        params: IdParams,
        response: responses({
          200: Type.Object({ request: AuthorityRequestView, history: Type.Array(HistoryEntry) }),
        }),
      },
    },
    async (request) =>
      gated(
        deps,
        request,
        async (s) => ({
          request: await svc.get(s, request.params.id),
          history: await svc.history(s, request.params.id),
        }),
        await ctxOf(request),
      ),
  );

  app.get(
    '/authority-requests/:id/targets',
    {
      config: reads,
      schema: {
        tags,
        summary: "The request's targets (sealed; opened through the gate)",
        headers: PurposeHeaders,
        params: IdParams,
        response: responses({ 200: Type.Object({ targets: Type.Array(TargetView) }) }),
      },
    },
    async (request) => ({
      targets: await gated(deps, request, (s) => svc.targets(s, request.params.id), await ctxOf(request)),
    }),
  );

  const step = (name: 'validate' | 'close', summary: string): void => {
    app.post(
      `/authority-requests/:id/${name}`,
      {
        config: works,
        schema: {
          tags,
          summary,
          headers: PurposeHeaders,
          params: IdParams,
          response: responses({ 200: AuthorityRequestView }),
        },
      },
      async (request) =>
        gated(
          deps,
          request,
          (s) =>
            name === 'validate' ? svc.startValidation(s, request.params.id) : svc.close(s, request.params.id),
          await ctxOf(request),
        ),
    );
  };
  step('validate', 'Start the legal validation (received → validating)');
  step('close', 'Close a delivered request');

  const decision = (name: 'approve' | 'reject' | 'cancel' | 'deliver', summary: string): void => {
    app.post(
      `/authority-requests/:id/${name}`,
      {
        config: works,
        schema: {
          tags,
          summary,
          headers: PurposeHeaders,
          params: IdParams,
          body: Decision,
          response: responses({ 200: AuthorityRequestView }),
        },
      },
      async (request) =>
        gated(deps, request, (s) => svc[name](s, request.params.id, request.body), await ctxOf(request)),
    );
  };
  decision('approve', 'Approve the release: a second legal staff member, not the creator (four-eyes)');
  decision('reject', 'Reject the request with its reasons');
  decision('cancel', 'Cancel the request with its reasons');
  decision('deliver', 'Record the delivery of the package (how, in the reasons)');

  app.post(
    '/authority-requests/:id/court-order',
    {
      config: works,
      schema: {
        tags,
        summary: 'Link the court order that followed a preservation request (its holds stop lapsing)',
        headers: PurposeHeaders,
        params: IdParams,
        body: CourtOrderBody,
        response: responses({ 200: AuthorityRequestView }),
      },
    },
    async (request) =>
      svc.linkCourtOrder(deps.services.gate, accessContextOf(request), request.params.id, request.body.ref),
  );

  app.post(
    '/authority-requests/:id/package',
    {
      // The canonical request is a CDR order: its search exports call records, under authority_order.
      config: {
        duty,
        access: [...works.access, { ...access('export', 'call_record'), purposes: ['authority_order'] }],
      },
      schema: {
        tags,
        summary: 'Search and build the signed answer package, encrypted with age for the recipient',
        description:
          'Returns the .tar.age bytes (application/octet-stream); the X-Package-Sha256 header carries its digest. ' +
          'Format: docs/authority-export.md.',
        headers: PurposeHeaders,
        params: IdParams,
        body: PackageBody,
      },
    },
    async (request, reply) => {
      const built = await gated(
        deps,
        request,
        (s) => svc.buildPackage(s, request.params.id, request.body),
        await ctxOf(request),
      );
      reply.header('content-type', 'application/octet-stream');
      reply.header('x-package-sha256', built.sha256);
      reply.header('content-disposition', `attachment; filename="authority-${request.params.id}.tar.age"`);
      return reply.send(built.bytes);
    },
  );

  done();
};
