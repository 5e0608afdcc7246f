/**
 * Staff tokens. Tokens are not personal data, so these routes take no purpose; who may obtain which role is
 * decided by the policy's `issuance` of each role (src/tokens/staff-token.service.ts), and who may call each route
 * by its duties (`token.issue`, `token.list`, `token.decide`, `token.revoke`; in the seed administrators issue,
 * request and revoke tokens, the DPO, a second person, approves or rejects requests, both list them).
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { TokenActor } from '../../../tokens/staff-token.service.ts';
import { responses } from '../common.schema.ts';
import type { RouteDeps } from '../gated.ts';
import {
  CreatedToken,
  NewTokenBody,
  TokenInfo,
  TokenList,
  TokenListQuery,
  TokenParams,
} from './tokens.schema.ts';

const DECIDE = { duty: 'token.decide' } as const;

function actorOf(request: FastifyRequest): TokenActor {
  const principal = request.principal!;
  return { actor: principal.actor, role: principal.role, requestId: request.id };
}

export const tokenRoutes: FastifyPluginCallbackTypebox<RouteDeps> = (app, { tokens }, done) => {
  app.post(
    '/tokens',
    {
      config: { duty: 'token.issue' },
      schema: {
        tags: ['tokens'],
        summary:
          'Issue a staff token (201), or request one that a DPO must approve (202); the token is shown once',
        body: NewTokenBody,
        response: responses({ 201: CreatedToken, 202: CreatedToken }),
      },
    },
    async (request, reply) => {
      const created = await tokens.request(request.body, actorOf(request));
      return reply.code(created.info.status === 'pending' ? 202 : 201).send(created);
    },
  );

  app.get(
    '/tokens',
    {
      config: { duty: 'token.list' },
      schema: {
        tags: ['tokens'],
        summary: 'List staff tokens and pending requests (never the tokens themselves)',
        querystring: TokenListQuery,
        response: responses({ 200: TokenList }),
      },
    },
    async (request) => ({
      tokens: await tokens.list({
        includeInactive: request.query.all ?? false,
        ...(request.query.status ? { status: request.query.status } : {}),
      }),
    }),
  );

  app.post(
    '/tokens/:tokenId/approve',
    {
      config: DECIDE,
      schema: {
        tags: ['tokens'],
        summary: 'Approve a pending token (DPO only, never its requester); its validity starts now',
        params: TokenParams,
        response: responses({ 200: TokenInfo }),
      },
    },
    (request) => tokens.approve(request.params.tokenId, actorOf(request)),
  );

  app.post(
    '/tokens/:tokenId/reject',
    {
      config: DECIDE,
      schema: {
        tags: ['tokens'],
        summary: 'Reject a pending token (DPO only, never its requester); it never works',
        params: TokenParams,
        response: responses({ 200: TokenInfo }),
      },
    },
    (request) => tokens.reject(request.params.tokenId, actorOf(request)),
  );

  app.delete(
    '/tokens/:tokenId',
    {
      config: { duty: 'token.revoke' },
      schema: {
        tags: ['tokens'],
        summary: 'Revoke a staff token (or withdraw a pending request) at once',
        params: TokenParams,
        response: responses({ 200: TokenInfo }),
      },
    },
    (request) => tokens.revoke(request.params.tokenId, actorOf(request)),
  );

  done();
};
