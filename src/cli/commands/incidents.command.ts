/**
 * `sigilo incidents`: the security-incident register (Res. CD/ANPD 15/2024) from the server's shell. Acts in the
 * DPO role with purpose `legal_obligation`, through the gate (every step in the access log); `--actor <staff id>`
 * (never a name) is who the log names.
 */
import type { Command } from 'commander';
import { SigiloError } from '../../errors.ts';
import type { AccessContext } from '../../gate/access-context.ts';
import type { IncidentSummary } from '../../incidents/incident.service.ts';
import type { CliContext } from '../cli-context.ts';

function dpo(actor: string | undefined): AccessContext {
  return {
    actor: actor ?? 'cli',
    role: 'dpo',
    purpose: 'legal_obligation',
    requestId: `cli-${Date.now()}`,
    justification: null,
  };
}

function line(i: IncidentSummary): string {
  const due = i.overdue ? 'OVERDUE' : 'due';
  return `${i.id}  ${i.state.padEnd(12)}  known ${i.knownAt}  ${due} ${i.communicationDueDate}  ${i.affectedSubjects} subjects  ${i.categories.join(',')}`;
}

function positiveInt(value: string, path: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new SigiloError('VALIDATION_FAILED', 'must be a whole number', { path });
  return n;
}

/** Registers `sigilo incidents ...`. */
export function registerIncidentsCommands(program: Command, ctx: CliContext): void {
  const incidents = program
    .command('incidents')
    .description('The security-incident register (Res. CD/ANPD 15/2024): deadlines, communications, drafts');

  incidents
    .command('record')
    .description('Record an incident; prints it with its communication deadline')
    .requiredOption('--known-at <iso>', 'when the controller learned that personal data were affected')
    .requiredOption('--description <text>', 'what happened and its main cause (guarded, then sealed)')
    .requiredOption('--categories <ids>', 'comma-separated policy categories affected')
    .option('--occurred-at <iso>', 'when it happened, if known')
    .option('--leaked-key-version <n>', 'master-key version that leaked (affected subjects are computed)')
    .option('--affected <n>', 'number of subjects affected, when it cannot be computed')
    .option('--measures <text>', 'security measures before and after, and mitigation')
    .option('--risks <text>', 'risks and possible impacts on the subjects')
    .option('--actor <id>', 'staff id written to the access log')
    .option('--json', 'print as JSON')
    .action(
      async (opts: {
        knownAt: string;
        description: string;
        categories: string;
        occurredAt?: string;
        leakedKeyVersion?: string;
        affected?: string;
        measures?: string;
        risks?: string;
        actor?: string;
        json?: boolean;
      }) => {
        const view = await ctx.withSigilo((sigilo) =>
          sigilo.gate.run(dpo(opts.actor), (s) =>
            sigilo.services.incidents.record(s, {
              knownAt: opts.knownAt,
              occurredAt: opts.occurredAt ?? null,
              description: opts.description,
              categories: opts.categories
                .split(',')
                .map((c) => c.trim())
                .filter(Boolean),
              ...(opts.leakedKeyVersion
                ? { leakedKeyVersion: positiveInt(opts.leakedKeyVersion, 'leaked-key-version') }
                : {}),
              ...(opts.affected ? { affectedSubjects: positiveInt(opts.affected, 'affected') } : {}),
              ...(opts.measures ? { measures: opts.measures } : {}),
              ...(opts.risks ? { risks: opts.risks } : {}),
            }),
          ),
        );
        if (opts.json) return ctx.print(JSON.stringify(view));
        ctx.print(line(view));
        ctx.print(
          `communicate to the ANPD and the subjects by ${view.communicationDueDate} (3 business days)`,
        );
      },
    );

  incidents
    .command('list')
    .description('The register, newest first')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      const list = await ctx.withSigilo((sigilo) =>
        sigilo.gate.run(dpo(undefined), (s) => sigilo.services.incidents.list(s)),
      );
      if (opts.json) return ctx.print(JSON.stringify(list));
      if (list.length === 0) ctx.print('No incidents.');
      for (const i of list) ctx.print(line(i));
    });

  incidents
    .command('show')
    .description('One incident with its free text')
    .argument('<id>', 'incident id')
    .option('--json', 'print as JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      const view = await ctx.withSigilo((sigilo) =>
        sigilo.gate.run(dpo(undefined), (s) => sigilo.services.incidents.get(s, id)),
      );
      if (opts.json) return ctx.print(JSON.stringify(view));
      ctx.print(line(view));
      ctx.print(view.description ?? '');
    });

  incidents
    .command('communicated')
    .description('Record that the ANPD or the subjects were told')
    .argument('<id>', 'incident id')
    .requiredOption('--to <who>', 'anpd or subjects')
    .option('--at <iso>', 'when it was sent (default now)')
    .option('--delay-reason <text>', 'required when past the deadline')
    .option('--actor <id>', 'staff id written to the access log')
    .option('--json', 'print as JSON')
    .action(
      async (
        id: string,
        opts: { to: string; at?: string; delayReason?: string; actor?: string; json?: boolean },
      ) => {
        if (opts.to !== 'anpd' && opts.to !== 'subjects') {
          throw new SigiloError('VALIDATION_FAILED', '--to must be anpd or subjects', { path: 'to' });
        }
        const to = opts.to;
        const view = await ctx.withSigilo((sigilo) =>
          sigilo.gate.run(dpo(opts.actor), (s) =>
            sigilo.services.incidents.communicated(s, id, to, {
              ...(opts.at ? { at: opts.at } : {}),
              ...(opts.delayReason ? { delayReason: opts.delayReason } : {}),
            }),
          ),
        );
        if (opts.json) return ctx.print(JSON.stringify(view));
        ctx.print(line(view));
      },
    );

  incidents
    .command('drafts')
    .description('Drafts of the communications (pt-BR) to the ANPD (Art. 6) and to the subjects (Art. 9)')
    .argument('<id>', 'incident id')
    .option('--to <who>', 'only the draft to anpd or to subjects')
    .option('--json', 'print as JSON')
    .action(async (id: string, opts: { to?: string; json?: boolean }) => {
      const { anpd, subjects } = await ctx.withSigilo((sigilo) =>
        sigilo.gate.run(dpo(undefined), (s) => sigilo.services.incidents.drafts(s, id)),
      );
      const chosen = opts.to === 'anpd' ? [anpd] : opts.to === 'subjects' ? [subjects] : [anpd, subjects];
      if (opts.json) return ctx.print(JSON.stringify(chosen));
      ctx.print(chosen.map((d) => d.text).join('\n\n---\n\n'));
    });

  incidents
    .command('affected')
    .description('How many subjects a leaked master-key version exposes (counts only)')
    .requiredOption('--kek-version <n>', 'master-key version')
    .option('--json', 'print as JSON')
    .action(async (opts: { kekVersion: string; json?: boolean }) => {
      const kek = positiveInt(opts.kekVersion, 'kek-version');
      const a = await ctx.withSigilo((sigilo) =>
        sigilo.gate.run(dpo(undefined), (s) => sigilo.services.incidents.affectedByKeyVersion(s, kek)),
      );
      if (opts.json) return ctx.print(JSON.stringify(a));
      ctx.print(
        `master-key version ${a.kekVersion}: ${a.subjects} subjects (${a.accounts} accounts, ${a.people} people)`,
      );
    });
}
