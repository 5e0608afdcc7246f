import { Type } from '@fastify/type-provider-typebox';
import { GUARD_CLASSES } from '../../../guard/guard-classes.ts';
import { QUARANTINE_KINDS } from '../../../guard/quarantine.service.ts';
import { Id, StringEnum, Timestamp } from '../common.schema.ts';

export const QuarantineParams = Type.Object({
  kind: StringEnum(QUARANTINE_KINDS, { description: 'Which field is held: a ticket title or a message.' }),
  id: Id,
});

export const QuarantineQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
});

export const QuarantineList = Type.Object({
  items: Type.Array(
    Type.Object({
      kind: StringEnum(QUARANTINE_KINDS),
      id: Id,
      ticketId: Id,
      classes: Type.Array(StringEnum(GUARD_CLASSES), {
        description: 'What the guard found (class names only; the text is never listed).',
      }),
      heldAt: Timestamp,
    }),
  ),
});
