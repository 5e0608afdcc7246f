import { Type } from '@fastify/type-provider-typebox';
import { Id, Timestamp } from '../common.schema.ts';

export const PersonParams = Type.Object({ personId: Id });
export const CredentialParams = Type.Object({ credentialId: Id });

export const PasswordBody = Type.Object(
  { password: Type.String({ minLength: 1, maxLength: 256, description: '12 to 256 characters.' }) },
  { additionalProperties: false },
);

export const NewSecretBody = Type.Object(
  {
    label: Type.String({
      minLength: 1,
      maxLength: 100,
      description: 'What the secret is for, e.g. "SIP ramal 201".',
    }),
    secret: Type.String({ minLength: 1, maxLength: 4096 }),
  },
  { additionalProperties: false },
);

export const VerifyResult = Type.Object({ match: Type.Boolean() });

export const RevealedSecret = Type.Object({ id: Id, label: Type.String(), secret: Type.String() });

export const CredentialList = Type.Object({
  credentials: Type.Array(
    Type.Object({
      id: Id,
      kind: Type.String({ description: 'portal_password, provisioning_secret or mfa_secret.' }),
      label: Type.String(),
      updatedAt: Timestamp,
    }),
  ),
});
