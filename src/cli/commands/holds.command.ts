/**
 * `sigilo holds`: list, show, create, extend, register a court request for and release legal holds. Changes need
 * `--actor <id>` (a staff id, never a name), recorded in the hold's history; the CLI acts in the legal role.
 */
import { Option, type Command } from 'commander';
import { SigiloError } from '../../errors.ts';
import type { AccessContext } from '../../gate/access-context.ts';
import {
  checkHoldInput,
  CourtRequestBody,
  ExtendHoldBody,
  HOLD_KINDS,
  NewHoldBody,
  ReleaseHoldBody,
  type NewHold,
} from '../../retention/legal-hold.schema.ts';
import type { HoldEvent, HoldStatus, LegalHold } from '../../retention/legal-holds.ts';
import type { WithSigilo } from './retention.command.ts';

function legal(actor: string | undefined): AccessContext {
  if (!actor) throw new SigiloError('VALIDATION_FAILED', '--actor <staff id> is required', { path: 'actor' });
  return { actor, role: 'legal', purpose: null, requestId: `cli-${Date.now()}`, justification: null };
}

const STATUS_PT: Record<HoldStatus, string> = { active: 'ativo', released: 'liberado', expired: 'expirado' };
const KIND_PT: Record<LegalHold['kind'], string> = {
  preservation: 'preservação',
  litigation: 'litígio',
  other: 'outro',
};
const SCOPE_PT: Record<LegalHold['scope']['kind'], string> = { account: 'conta', person: 'pessoa' };
const EVENT_PT: Record<HoldEvent['kind'], string> = {
  created: 'criado',
  extended: 'prorrogado',
  court_request: 'ordem judicial',
  released: 'liberado',
};

/** One hold on one line, for staff (pt-BR; ids, categories and instants as they are). */
function describeHold(h: LegalHold): string {
  const window =
    h.window.from || h.window.to ? `  janela ${h.window.from ?? '…'} → ${h.window.to ?? '…'}` : '';
  return (
    `${h.id}  ${STATUS_PT[h.status].padEnd(8)}  ${KIND_PT[h.kind].padEnd(11)}  ${SCOPE_PT[h.scope.kind]}:${h.scope.id}  ` +
    `[${h.categories.join(', ')}]${window}  até ${h.expiresAt ?? 'ser liberado'}` +
    `${h.authorityRequestRef ? `  requisição ${h.authorityRequestRef}` : ''}` +
    `${h.courtRequestRef ? `  processo ${h.courtRequestRef}` : ''}`
  );
}

function parseScope(scope: string): NewHold['scope'] {
  const m = /^(account|person):(.+)$/.exec(scope);
  if (!m)
    throw new SigiloError('VALIDATION_FAILED', '--scope must be account:<id> or person:<id>', {
      path: 'scope',
    });
  return { kind: m[1] as 'account' | 'person', id: m[2]! };
}

/** Registers `sigilo holds ...`; `withSigilo` opens and closes an initialised Sigilo around the work. */
export function registerHoldsCommands(
  program: Command,
  withSigilo: WithSigilo,
  options: { out?: NodeJS.WritableStream } = {},
): Command {
  const out = options.out ?? process.stdout;
  const print = (h: LegalHold, json?: boolean) =>
    out.write(json ? `${JSON.stringify(h)}\n` : `${describeHold(h)}\n`);
  const holds = program.command('holds').description('Legal holds: records they cover are never deleted');

  holds
    .command('list')
    .description('List holds, newest first')
    .option('--status <status>', 'active, released or expired')
    .option('--scope-id <id>', 'only holds on this account or person')
    .option('--json', 'print as JSON')
    .action(async (opts: { status?: string; scopeId?: string; json?: boolean }) => {
      if (opts.status && !['active', 'released', 'expired'].includes(opts.status)) {
        throw new SigiloError('VALIDATION_FAILED', '--status must be active, released or expired', {
          path: 'status',
        });
      }
      await withSigilo(async (sigilo) => {
        const list = await sigilo.retention.holds.list(
          { actor: 'cli', role: 'legal', purpose: null, requestId: `cli-${Date.now()}` },
          {
            ...(opts.status ? { status: opts.status as HoldStatus } : {}),
            ...(opts.scopeId ? { scopeId: opts.scopeId } : {}),
          },
        );
        if (opts.json) return void out.write(`${JSON.stringify(list)}\n`);
        if (list.length === 0) out.write('Nenhum bloqueio legal.\n');
        for (const h of list) print(h);
      });
    });

  holds
    .command('show')
    .description('One hold with its history')
    .argument('<id>', 'hold id')
    .option('--json', 'print as JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      await withSigilo(async (sigilo) => {
        const ctx: AccessContext = {
          actor: 'cli',
          role: 'legal',
          purpose: null,
          requestId: `cli-${Date.now()}`,
        };
        const hold = await sigilo.retention.holds.get(ctx, id);
        const history = await sigilo.retention.holds.history(ctx, id);
        if (opts.json) return void out.write(`${JSON.stringify({ hold, history })}\n`);
        print(hold);
        out.write(`  motivo: ${hold.reason}\n`);
        for (const e of history)
          out.write(
            `  ${e.at}  ${EVENT_PT[e.kind].padEnd(14)}  por ${e.actor}  ${JSON.stringify(e.details)}\n`,
          );
      });
    });

  holds
    .command('create')
    .description(
      'Create a hold (preservation: a Marco Civil request, lapses after 60 days without a court request)',
    )
    .requiredOption('--actor <id>', 'your staff id')
    .addOption(new Option('--kind <kind>', 'what the hold is for').choices(HOLD_KINDS).makeOptionMandatory())
    .requiredOption('--scope <scope>', 'account:<id> or person:<id>')
    .requiredOption(
      '--categories <list>',
      'comma-separated policy categories, e.g. call_record,connection_record',
    )
    .requiredOption('--reason <text>', 'why, without personal data')
    .option('--from <date>', 'hold only records from this date (YYYY-MM-DD or ISO instant)')
    .option('--to <date>', 'hold only records up to this date')
    .option('--authority-ref <ref>', "the authority request's reference (required for preservation)")
    .option('--court-ref <ref>', 'the court request, if already filed')
    .option('--requested-at <date>', 'when the authority made the request (the 60 days count from here)')
    .option('--expires <date>', 'end of the hold')
    .option('--json', 'print as JSON')
    .action(
      async (opts: {
        actor: string;
        kind: string;
        scope: string;
        categories: string;
        reason: string;
        from?: string;
        to?: string;
        authorityRef?: string;
        courtRef?: string;
        requestedAt?: string;
        expires?: string;
        json?: boolean;
      }) => {
        // Checked with the routes' own schema before the store is opened: a bad date costs nothing.
        const input: NewHold = checkHoldInput(NewHoldBody, {
          kind: opts.kind,
          scope: parseScope(opts.scope),
          categories: opts.categories
            .split(',')
            .map((c) => c.trim())
            .filter(Boolean),
          reason: opts.reason,
          ...(opts.from || opts.to
            ? { window: { ...(opts.from ? { from: opts.from } : {}), ...(opts.to ? { to: opts.to } : {}) } }
            : {}),
          ...(opts.authorityRef ? { authorityRequestRef: opts.authorityRef } : {}),
          ...(opts.courtRef ? { courtRequestRef: opts.courtRef } : {}),
          ...(opts.requestedAt ? { requestedAt: opts.requestedAt } : {}),
          ...(opts.expires ? { expiresAt: opts.expires } : {}),
        });
        await withSigilo(async (sigilo) =>
          print(await sigilo.retention.holds.create(legal(opts.actor), input), opts.json),
        );
      },
    );

  holds
    .command('extend')
    .description('Move the end of an active hold later')
    .argument('<id>', 'hold id')
    .requiredOption('--actor <id>', 'your staff id')
    .requiredOption('--until <date>', 'new end (YYYY-MM-DD or ISO instant)')
    .requiredOption('--reason <text>', 'why')
    .option('--json', 'print as JSON')
    .action(async (id: string, opts: { actor: string; until: string; reason: string; json?: boolean }) => {
      const input = checkHoldInput(ExtendHoldBody, { expiresAt: opts.until, reason: opts.reason });
      await withSigilo(async (sigilo) =>
        print(await sigilo.retention.holds.extend(legal(opts.actor), id, input), opts.json),
      );
    });

  holds
    .command('court-request')
    .description('Register the court request of a preservation hold')
    .argument('<id>', 'hold id')
    .requiredOption('--actor <id>', 'your staff id')
    .requiredOption('--ref <ref>', 'court process / request reference')
    .option('--expires <date>', 'end set by the court, if any')
    .option('--json', 'print as JSON')
    .action(async (id: string, opts: { actor: string; ref: string; expires?: string; json?: boolean }) => {
      const input = checkHoldInput(CourtRequestBody, {
        ref: opts.ref,
        ...(opts.expires ? { expiresAt: opts.expires } : {}),
      });
      await withSigilo(async (sigilo) =>
        print(await sigilo.retention.holds.registerCourtRequest(legal(opts.actor), id, input), opts.json),
      );
    });

  holds
    .command('release')
    .description('Release an active hold: what it kept goes at the next sweep if its period has ended')
    .argument('<id>', 'hold id')
    .requiredOption('--actor <id>', 'your staff id')
    .requiredOption('--reason <text>', 'why')
    .option('--json', 'print as JSON')
    .action(async (id: string, opts: { actor: string; reason: string; json?: boolean }) => {
      const input = checkHoldInput(ReleaseHoldBody, { reason: opts.reason });
      await withSigilo(async (sigilo) =>
        print(await sigilo.retention.holds.release(legal(opts.actor), id, input), opts.json),
      );
    });

  return holds;
}
