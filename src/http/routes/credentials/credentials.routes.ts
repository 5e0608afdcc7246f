/**
 * Credentials: portal passwords (argon2id hashes, never readable, only verifiable) and provisioning secrets
 * (sealed, released only for the provisioning purpose). Secrets travel in bodies, never in URLs.
 */
import { access } from '../../route-access.ts';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Created, NoContent, PurposeHeaders, responses } from '../common.schema.ts';
import { gated, type RouteDeps } from '../gated.ts';
import {
  CredentialList,
  CredentialParams,
  NewSecretBody,
  PasswordBody,
  PersonParams,
  RevealedSecret,
  VerifyResult,
} from './credentials.schema.ts';

export const credentialRoutes: FastifyPluginCallbackTypebox<RouteDeps> = (app, deps, done) => {
  const { credentials } = deps.services;

  app.put(
    '/people/:personId/portal-password',
    {
      config: { access: [access('write', 'authentication_secret')] },
      schema: {
        tags: ['credentials'],
        summary: "Set or replace a person's portal password (stored as an argon2id hash)",
        headers: PurposeHeaders,
        params: PersonParams,
        body: PasswordBody,
        response: responses({ 204: NoContent }),
      },
    },
    async (request, reply) => {
      await gated(deps, request, (s) =>
        credentials.setPortalPassword(s, request.params.personId, request.body.password),
      );
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/people/:personId/portal-password/verify',
    {
      config: { access: [access('read', 'authentication_secret')] },
      schema: {
        tags: ['credentials'],
        summary: 'Check a portal password against the stored hash',
        headers: PurposeHeaders,
        params: PersonParams,
        body: PasswordBody,
        response: responses({ 200: VerifyResult }),
      },
    },
    async (request) => ({
      match: await gated(deps, request, (s) =>
        credentials.verifyPortalPassword(s, request.params.personId, request.body.password),
      ),
    }),
  );

  app.post(
    '/people/:personId/provisioning-secrets',
    {
      config: { access: [access('write', 'provisioning_secret')] },
      schema: {
        tags: ['credentials'],
        summary: 'Store a provisioning secret (SIP password, API key)',
        headers: PurposeHeaders,
        params: PersonParams,
        body: NewSecretBody,
        response: responses({ 201: Created }),
      },
    },
    async (request, reply) => {
      const { label, secret } = request.body;
      const id = await gated(deps, request, (s) =>
        credentials.storeProvisioningSecret(s, request.params.personId, label, secret),
      );
      return reply.code(201).send({ id });
    },
  );

  app.post(
    '/credentials/:credentialId/reveal',
    {
      config: { access: [access('read', 'provisioning_secret')] },
      schema: {
        tags: ['credentials'],
        summary: 'Reveal a provisioning secret (provisioning purpose only)',
        description: 'A POST so that no cache or prefetch ever triggers a release.',
        headers: PurposeHeaders,
        params: CredentialParams,
        response: responses({ 200: RevealedSecret }),
      },
    },
    async (request) => {
      const revealed = await gated(deps, request, (s) =>
        credentials.revealProvisioningSecret(s, request.params.credentialId),
      );
      return { ...revealed, secret: String(revealed.secret) };
    },
  );

  app.get(
    '/people/:personId/credentials',
    {
      config: { access: [access('read', 'provisioning_secret')] },
      schema: {
        tags: ['credentials'],
        summary: "Labels of a person's credentials (no secret is read)",
        headers: PurposeHeaders,
        params: PersonParams,
        response: responses({ 200: CredentialList }),
      },
    },
    async (request) => ({
      credentials: await gated(deps, request, (s) => credentials.list(s, request.params.personId)),
    }),
  );

  done();
};
