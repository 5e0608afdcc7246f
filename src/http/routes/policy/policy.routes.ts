/** The published policy: the document in force (JSON) and its rendered Portuguese text. */
import { Type, type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { diffPolicies, isLoosening } from '../../../policy/policy.diff.ts';
import { describeChangesPt } from '../../../policy/policy.diff-text.ts';
import { renderPolicyHtml, renderPolicyMarkdown } from '../../../policy/policy.render.ts';
import { parsePolicy } from '../../../policy/policy.loader.ts';
import type { Policy } from '../../../policy/policy.schema.ts';
import { responses, StringEnum } from '../common.schema.ts';
import type { RouteDeps } from '../gated.ts';
import type { RouteServices } from '../../route-services.ts';

const PolicyDocument = Type.Object({
  version: Type.Integer(),
  effectiveDate: Type.String(),
  document: Type.Unknown({
    description: 'The policy document (categories, purposes, roles, grants, retention).',
  }),
});

const TextQuery = Type.Object({ format: Type.Optional(StringEnum(['markdown', 'html'] as const)) });

const VersionSummary = Type.Object({
  version: Type.Integer(),
  effectiveDate: Type.String(),
  summary: Type.Object({ pt: Type.String(), en: Type.String() }),
});
const VersionPair = Type.Object({ a: Type.Integer({ minimum: 1 }), b: Type.Integer({ minimum: 1 }) });
const PolicyDiff = Type.Object({
  from: Type.Integer(),
  to: Type.Integer(),
  loosening: Type.Boolean({
    description: 'True when the newer version gives more access, longer retention or weaker detection.',
  }),
  changes: Type.Array(Type.Object({ path: Type.String(), before: Type.Unknown(), after: Type.Unknown() })),
  text: Type.Array(Type.String(), { description: 'The changes in Portuguese, one sentence each.' }),
});
const Proposal = Type.Object({
  version: Type.Integer(),
  status: StringEnum(['published', 'pending_approval'] as const, {
    description: 'pending_approval: the version loosens protection and waits for a second DPO.',
  }),
  loosening: Type.Boolean(),
  text: Type.Array(Type.String(), { description: 'What changes, in Portuguese, one sentence each.' }),
});

const PublicPolicy = Type.Object({
  version: Type.Integer(),
  effectiveDate: Type.String(),
  markdown: Type.String(),
  html: Type.String(),
  history: Type.Array(VersionSummary),
});

/** Every published version's number, effective date and summary, newest first. */
async function history(policies: RouteServices['policies']) {
  const policy = policies.policy();
  const versions = await policies.list();
  const out = await Promise.all(
    versions.map(async (v) => {
      const p = v.version === policy.version ? policy : await policies.version(v.version);
      return { version: p.version, effectiveDate: p.effectiveDate, summary: p.summary };
    }),
  );
  return out.sort((x, y) => y.version - x.version);
}

export const policyRoutes: FastifyPluginCallbackTypebox<RouteDeps> = (app, { services }, done) => {
  app.get(
    '/policy',
    {
      // Any authenticated role; nothing personal.
      config: { access: [] },
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
      const summaries = await history(services.policies);
      if (request.query.format === 'html') {
        return reply.type('text/html; charset=utf-8').send(renderPolicyHtml(policy, { history: summaries }));
      }
      return reply
        .type('text/markdown; charset=utf-8')
        .send(renderPolicyMarkdown(policy, { history: summaries }));
    },
  );

  app.get(
    '/public/policy',
    {
      config: { public: true },
      schema: {
        tags: ['policy'],
        summary:
          'The privacy policy in force for the public: Portuguese text (Markdown and HTML) and its history',
        security: [],
        response: responses({ 200: PublicPolicy }),
      },
    },
    async () => {
      const policy = services.policies.policy();
      const summaries = await history(services.policies);
      return {
        version: policy.version,
        effectiveDate: policy.effectiveDate,
        markdown: renderPolicyMarkdown(policy, { history: summaries }),
        html: renderPolicyHtml(policy, { history: summaries }),
        history: summaries,
      };
    },
  );

  app.get(
    '/policy/versions',
    {
      // Any authenticated role; nothing personal.
      config: { access: [] },
      schema: {
        tags: ['policy'],
        summary: 'Every published policy version, newest first',
        response: responses({ 200: Type.Object({ versions: Type.Array(VersionSummary) }) }),
      },
    },
    async () => ({ versions: await history(services.policies) }),
  );

  app.post(
    '/policy/versions',
    {
      config: { duty: 'policy.propose' },
      schema: {
        tags: ['policy'],
        summary:
          'Publish the next policy version (DPO); one that loosens protection waits for a second DPO to approve it',
        body: Type.Object(
          {
            document: Type.Unknown({
              description: 'The whole policy document, with its next version, effectiveDate and summary.',
            }),
          },
          { additionalProperties: false },
        ),
        response: responses({ 201: Proposal, 202: Proposal }),
      },
    },
    async (request, reply) => {
      const before = services.policies.policy();
      const result = await services.policies.propose(
        request.body.document as Policy,
        request.principal!.actor,
      );
      const proposed = parsePolicy(request.body.document);
      return reply
        .code(result.status === 'published' ? 201 : 202)
        .send({ ...result, text: describeChangesPt(before, proposed) });
    },
  );

  app.post(
    '/policy/versions/:version/approve',
    {
      config: { duty: 'policy.approve' },
      schema: {
        tags: ['policy'],
        summary: 'Approve and publish a pending loosening version (a DPO other than the one who proposed it)',
        params: Type.Object({ version: Type.Integer({ minimum: 1 }) }),
        response: responses({ 201: Type.Object({ version: Type.Integer() }) }),
      },
    },
    async (request, reply) =>
      reply.code(201).send(await services.policies.approve(request.params.version, request.principal!.actor)),
  );

  app.get(
    '/policy/versions/:a/diff/:b',
    {
      // Any authenticated role; nothing personal.
      config: { access: [] },
      schema: {
        tags: ['policy'],
        summary: 'What changed from version a to version b: paths, loosening, and sentences in Portuguese',
        params: VersionPair,
        response: responses({ 200: PolicyDiff }),
      },
    },
    async (request) => {
      const { a, b } = request.params;
      const [from, to] = await Promise.all([services.policies.version(a), services.policies.version(b)]);
      return {
        from: a,
        to: b,
        loosening: isLoosening(from, to),
        changes: diffPolicies(from, to),
        text: describeChangesPt(from, to),
      };
    },
  );

  done();
};
