/** Who the presented credential speaks for: lets a client check its token before using it. */
import { Type, type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { responses, StringEnum, Timestamp } from '../common.schema.ts';
import type { RouteDeps } from '../gated.ts';

const Me = Type.Object({
  actor: Type.String({ description: 'The id the access log records for you.' }),
  role: Type.String(),
  via: StringEnum(['token', 'oidc'] as const),
  expiresAt: Type.Union([Timestamp, Type.Null()]),
});

export const sessionRoutes: FastifyPluginCallbackTypebox<RouteDeps> = (app, _deps, done) => {
  app.get(
    '/me',
    {
      // Any authenticated role; nothing personal.
      config: { access: [] },
      schema: { tags: ['session'], summary: 'Who am I', response: responses({ 200: Me }) },
    },
    (request) => request.principal!,
  );

  done();
};
