/** The published policy: the document in force (JSON) and its rendered Portuguese text. */
import { Type, type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { renderPolicyHtml, renderPolicyMarkdown } from '../../../policy/policy.render.ts';
import { responses, StringEnum } from '../common.schema.ts';
import type { RouteDeps } from '../gated.ts';

const PolicyDocument = Type.Object({
  version: Type.Integer(),
  effectiveDate: Type.String(),
  document: Type.Unknown({
    description: 'The policy document (categories, purposes, roles, grants, retention).',
  }),
});

const TextQuery = Type.Object({ format: Type.Optional(StringEnum(['markdown', 'html'] as const)) });

export const policyRoutes: FastifyPluginCallbackTypebox<RouteDeps> = (app, { services }, done) => {
  app.get(
    '/policy',
    {
      schema: {
        tags: ['policy'],
        summary: 'The policy version in force',
        response: responses({ 200: PolicyDocument }),
      },
    },
    () => {
      const policy = services.policies.policy();
      return { version: policy.version, effectiveDate: policy.effectiveDate, document: policy };
    },
  );

  app.get(
    '/policy/text',
    {
      // The privacy policy is published to customers: reading it needs no credentials.
      config: { public: true },
      schema: {
        tags: ['policy'],
        summary:
          'The privacy policy text in Portuguese (Markdown or HTML), rendered from the policy in force',
        security: [],
        querystring: TextQuery,
        produces: ['text/markdown', 'text/html'],
        response: { 200: Type.String(), ...responses({}) },
      },
    },
    async (request, reply) => {
      const policy = services.policies.policy();
      const history = await services.policies.list();
      const summaries = await Promise.all(
        history.map(async (v) => {
          const p = v.version === policy.version ? policy : await services.policies.version(v.version);
          return { version: p.version, effectiveDate: p.effectiveDate, summary: p.summary };
        }),
      );
      if (request.query.format === 'html') {
        return reply.type('text/html; charset=utf-8').send(renderPolicyHtml(policy, { history: summaries }));
      }
      return reply
        .type('text/markdown; charset=utf-8')
        .send(renderPolicyMarkdown(policy, { history: summaries }));
    },
  );

  done();
};
