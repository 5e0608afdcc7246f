/** Staff tokens, for the admin role only. Tokens are not personal data, so these routes take no purpose. */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
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

const ADMIN = { roles: ['admin'] } as const;

export const tokenRoutes: FastifyPluginCallbackTypebox<RouteDeps> = (app, { tokens }, done) => {
  app.post(
    '/tokens',
    {
      config: ADMIN,
      schema: {
        tags: ['tokens'],
        summary: 'Create a staff token (the token is shown once)',
        body: NewTokenBody,
        response: responses({ 201: CreatedToken }),
      },
    },
    async (request, reply) => {
      const created = await tokens.create({
        ...request.body,
        createdBy: request.principal!.actor,
        context: { role: request.principal!.role, requestId: request.id },
      });
      return reply.code(201).send(created);
    },
  );

  app.get(
    '/tokens',
    {
      config: ADMIN,
      schema: {
        tags: ['tokens'],
        summary: 'List staff tokens (never the tokens themselves)',
        querystring: TokenListQuery,
        response: responses({ 200: TokenList }),
      },
    },
    async (request) => ({ tokens: await tokens.list({ includeInactive: request.query.all ?? false }) }),
  );

  app.delete(
    '/tokens/:tokenId',
    {
      config: ADMIN,
      schema: {
        tags: ['tokens'],
        summary: 'Revoke a staff token at once',
        params: TokenParams,
        response: responses({ 200: TokenInfo }),
      },
    },
    (request) =>
      tokens.revoke(request.params.tokenId, request.principal!.actor, {
        role: request.principal!.role,
        requestId: request.id,
      }),
  );

  done();
};
