import { Type } from '@fastify/type-provider-typebox';
import { Id, IsoDate, Provenance, Source, StringEnum, Timestamp } from '../common.schema.ts';

export const NewContractBody = Type.Object(
  {
    accountId: Id,
    product: Type.String({ minLength: 1, maxLength: 120 }),
    plan: Type.Optional(Type.String({ maxLength: 120 })),
    startedOn: IsoDate,
    notes: Type.Optional(Type.String({ maxLength: 2000 })),
    source: Type.Optional(Source),
  },
  { additionalProperties: false },
);

export const TerminateBody = Type.Object(
  { endedOn: IsoDate, reason: Type.Optional(Type.String({ maxLength: 500 })) },
  { additionalProperties: false },
);

export const AmendBody = Type.Object(
  {
    product: Type.Optional(Type.String({ minLength: 1, maxLength: 120 })),
    plan: Type.Optional(Type.String({ maxLength: 120 })),
    notes: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const ContractParams = Type.Object({ contractId: Id });
export const AccountParams = Type.Object({ accountId: Id });

export const Contract = Type.Object({
  id: Id,
  accountId: Id,
  status: StringEnum(['active', 'terminated'] as const),
  startedOn: IsoDate,
  endedOn: Type.Union([IsoDate, Type.Null()]),
  terms: Type.Optional(Type.Unknown({ description: 'Product, plan and notes (or a masked text).' })),
  provenance: Provenance,
});

export const ContractList = Type.Object({ contracts: Type.Array(Contract) });

export const ContractHistory = Type.Object({
  events: Type.Array(
    Type.Object({
      id: Id,
      kind: Type.String({ description: 'signed, amended, terminated.' }),
      occurredAt: Timestamp,
      details: Type.Optional(Type.Unknown()),
    }),
  ),
});
