/** Contracts and their history (every change appends an event in the same transaction). */
import { access } from '../../route-access.ts';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Created, NoContent, PurposeHeaders, responses } from '../common.schema.ts';
import { gated, type RouteDeps } from '../gated.ts';
import {
  AccountParams,
  AmendBody,
  Contract,
  ContractHistory,
  ContractList,
  ContractParams,
  NewContractBody,
  TerminateBody,
} from './contracts.schema.ts';

export const contractRoutes: FastifyPluginCallbackTypebox<RouteDeps> = (app, deps, done) => {
  const { contracts } = deps.services;

  app.post(
    '/contracts',
    {
      config: { access: [access('write', 'contract')] },
      schema: {
        tags: ['contracts'],
        summary: 'Sign a contract for an account',
        headers: PurposeHeaders,
        body: NewContractBody,
        response: responses({ 201: Created }),
      },
    },
    async (request, reply) => {
      const { source, ...input } = request.body;
      const id = await gated(deps, request, (s) => contracts.create(s, input, source));
      return reply.code(201).send({ id });
    },
  );

  app.get(
    '/contracts/:contractId',
    {
      config: { access: [access('read', 'contract')] },
      schema: {
        tags: ['contracts'],
        summary: 'Read a contract',
        headers: PurposeHeaders,
        params: ContractParams,
        response: responses({ 200: Contract }),
      },
    },
    (request) => gated(deps, request, (s) => contracts.get(s, request.params.contractId)),
  );

  app.patch(
    '/contracts/:contractId',
    {
      config: { access: [access('read', 'contract'), access('write', 'contract')] },
      schema: {
        tags: ['contracts'],
        summary: 'Amend product, plan or notes (the previous terms stay in the history)',
        headers: PurposeHeaders,
        params: ContractParams,
        body: AmendBody,
        response: responses({ 204: NoContent }),
      },
    },
    async (request, reply) => {
      await gated(deps, request, (s) => contracts.amend(s, request.params.contractId, request.body));
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/contracts/:contractId/terminate',
    {
      config: { access: [access('write', 'contract')] },
      schema: {
        tags: ['contracts'],
        summary: 'Terminate a contract (retention periods count from the end date)',
        headers: PurposeHeaders,
        params: ContractParams,
        body: TerminateBody,
        response: responses({ 204: NoContent }),
      },
    },
    async (request, reply) => {
      const { endedOn, reason } = request.body;
      await gated(deps, request, (s) => contracts.terminate(s, request.params.contractId, endedOn, reason));
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/contracts/:contractId/history',
    {
      config: { access: [access('read', 'contract')] },
      schema: {
        tags: ['contracts'],
        summary: "A contract's history, oldest first",
        headers: PurposeHeaders,
        params: ContractParams,
        response: responses({ 200: ContractHistory }),
      },
    },
    async (request) => ({
      events: await gated(deps, request, (s) => contracts.history(s, request.params.contractId)),
    }),
  );

  app.get(
    '/accounts/:accountId/contracts',
    {
      config: { access: [access('read', 'contract')] },
      schema: {
        tags: ['contracts'],
        summary: 'Contracts of an account',
        headers: PurposeHeaders,
        params: AccountParams,
        response: responses({ 200: ContractList }),
      },
    },
    async (request) => ({
      contracts: await gated(deps, request, (s) => contracts.listForAccount(s, request.params.accountId)),
    }),
  );

  done();
};
