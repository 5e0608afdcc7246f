/**
 * HTTP adapter of the retention module (mounted under /v1 by the HTTP layer):
 *   GET  /retention/preview                      dry run: per category and rule, what would go and when next
 *   GET  /retention/certificates                 deletion certificates, newest first
 *   GET  /retention/certificates/:id             one certificate (signed bytes, signature, key, body)
 *   GET  /retention/certificates/:id/verify      verifies it against Sigilo's signing key
 *   GET  /holds, POST /holds                     legal holds: list, create
 *   GET  /holds/:id                              one hold with its history
 *   POST /holds/:id/extend | /court-request | /release
 * Validate → authorise (the route's policy duty, then the service again) → command → plain JSON; no personal
 * data anywhere.
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { responses } from '../http/routes/common.schema.ts';
import { accessContextOf, type RouteDeps } from '../http/routes/gated.ts';
import {
  CertificateListQuery,
  CertificateSchema,
  CertificateSummarySchema,
  HoldListQuery,
  HoldSchema,
  HoldWithHistorySchema,
  IdParams,
  PreviewSchema,
  VerifySchema,
} from './retention.routes.schema.ts';
import { CourtRequestBody, ExtendHoldBody, NewHoldBody, ReleaseHoldBody } from './legal-hold.schema.ts';
import { Type } from '@fastify/type-provider-typebox';

/** Registers the retention and legal-hold routes (they use only `services.retention`). */
export const retentionRoutes: FastifyPluginCallbackTypebox<Pick<RouteDeps, 'services'>> = (
  app,
  { services },
  done,
) => {
  const { retention } = services;
  const holdRead = { duty: 'legal_hold.read' } as const;
  const holdWrite = { duty: 'legal_hold.write' } as const;

  app.get(
    '/retention/preview',
    {
      config: { duty: 'retention.preview' },
      schema: {
        tags: ['retention'],
        summary:
          'Dry run: what a sweep now would delete, per category and rule, and when the next items expire',
        response: responses({ 200: PreviewSchema }),
      },
    },
    (request) => retention.preview(accessContextOf(request)),
  );

  app.get(
    '/retention/certificates',
    {
      config: { duty: 'certificate.read' },
      schema: {
        tags: ['retention'],
        summary: 'Deletion certificates, newest first',
        querystring: CertificateListQuery,
        response: responses({ 200: Type.Object({ certificates: Type.Array(CertificateSummarySchema) }) }),
      },
    },
    async (request) => ({
      certificates: await retention.certificates.list(accessContextOf(request), {
        ...(request.query.limit ? { limit: request.query.limit } : {}),
      }),
    }),
  );

  app.get(
    '/retention/certificates/:id',
    {
      config: { duty: 'certificate.read' },
      schema: {
        tags: ['retention'],
        summary: 'One signed deletion certificate',
        params: IdParams,
        response: responses({ 200: CertificateSchema }),
      },
    },
    async (request) => {
      const cert = await retention.certificates.get(accessContextOf(request), request.params.id);
      return { ...cert, body: cert.body as unknown as Record<string, unknown> };
    },
  );

  app.get(
    '/retention/certificates/:id/verify',
    {
      config: { duty: 'certificate.verify' },
      schema: {
        tags: ['retention'],
        summary: "Verify a certificate's Ed25519 signature against Sigilo's key",
        params: IdParams,
        response: responses({ 200: VerifySchema }),
      },
    },
    (request) => retention.certificates.verify(accessContextOf(request), request.params.id),
  );

  app.get(
    '/holds',
    {
      config: holdRead,
      schema: {
        tags: ['holds'],
        summary: 'Legal holds, newest first',
        querystring: HoldListQuery,
        response: responses({ 200: Type.Object({ holds: Type.Array(HoldSchema) }) }),
      },
    },
    async (request) => ({ holds: await retention.holds.list(accessContextOf(request), request.query) }),
  );

  app.post(
    '/holds',
    {
      config: holdWrite,
      schema: {
        tags: ['holds'],
        summary: 'Create a legal hold (records it covers are never deleted while it is active)',
        body: NewHoldBody,
        response: responses({ 201: HoldSchema }),
      },
    },
    async (request, reply) => {
      const hold = await retention.holds.create(accessContextOf(request), request.body);
      return reply.code(201).send(hold);
    },
  );

  app.get(
    '/holds/:id',
    {
      config: holdRead,
      schema: {
        tags: ['holds'],
        summary: 'One legal hold with its history',
        params: IdParams,
        response: responses({ 200: HoldWithHistorySchema }),
      },
    },
    async (request) => {
      const ctx = accessContextOf(request);
      return {
        hold: await retention.holds.get(ctx, request.params.id),
        history: await retention.holds.history(ctx, request.params.id),
      };
    },
  );

  app.post(
    '/holds/:id/extend',
    {
      config: holdWrite,
      schema: {
        tags: ['holds'],
        summary: 'Move the end of an active hold later',
        params: IdParams,
        body: ExtendHoldBody,
        response: responses({ 200: HoldSchema }),
      },
    },
    (request) => retention.holds.extend(accessContextOf(request), request.params.id, request.body),
  );

  app.post(
    '/holds/:id/court-request',
    {
      config: holdWrite,
      schema: {
        tags: ['holds'],
        summary: 'Register the court request of a preservation hold (it no longer lapses after 60 days)',
        params: IdParams,
        body: CourtRequestBody,
        response: responses({ 200: HoldSchema }),
      },
    },
    (request) =>
      retention.holds.registerCourtRequest(accessContextOf(request), request.params.id, request.body),
  );

  app.post(
    '/holds/:id/release',
    {
      config: holdWrite,
      schema: {
        tags: ['holds'],
        summary: 'Release an active hold',
        params: IdParams,
        body: ReleaseHoldBody,
        response: responses({ 200: HoldSchema }),
      },
    },
    (request) => retention.holds.release(accessContextOf(request), request.params.id, request.body),
  );

  done();
};
