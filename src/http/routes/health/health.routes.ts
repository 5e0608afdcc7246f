/** Liveness, readiness (the database answers) and Prometheus metrics: no credentials, no personal data. */
import { Type, type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { SigiloError } from '../../../errors.ts';
import { responses } from '../common.schema.ts';
import type { RouteDeps } from '../gated.ts';

const Status = Type.Object({ status: Type.String() });

export const healthRoutes: FastifyPluginCallbackTypebox<RouteDeps> = (app, deps, done) => {
  app.get(
    '/healthz',
    {
      config: { public: true },
      schema: { tags: ['operations'], summary: 'Liveness', security: [], response: { 200: Status } },
    },
    () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      config: { public: true },
      schema: {
        tags: ['operations'],
        summary: 'Readiness: the database answers',
        security: [],
        response: responses({ 200: Status }),
      },
    },
    async () => {
      try {
        await deps.services.ready();
      } catch {
        throw new SigiloError('NOT_READY', 'the database is not reachable');
      }
      return { status: 'ready' };
    },
  );

  app.get(
    '/metrics',
    {
      config: { public: true },
      schema: {
        tags: ['operations'],
        summary: 'Prometheus metrics',
        security: [],
        produces: ['text/plain'],
        response: { 200: Type.String({ description: 'Prometheus text exposition format.' }) },
      },
    },
    async (_request, reply) => {
      const body = await deps.metrics.registry.metrics();
      return reply.type(deps.metrics.registry.contentType).send(body);
    },
  );

  done();
};
