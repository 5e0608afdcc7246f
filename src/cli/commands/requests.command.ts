/**
 * `sigilo requests`: data-subject requests from the server's shell. Acts in the DPO role with purpose
 * `subject_request`; `--actor <staff id>` (never a name) is written to the access log and the request history.
 */
import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import type { Command } from 'commander';
import { SigiloError } from '../../errors.ts';
import type { AccessContext } from '../../gate/access-context.ts';
import type { RequestView } from '../../subject-requests/subject-request.service.ts';
import type { RequestChannel, RequestType } from '../../subject-requests/subject-request.model.ts';
import type { WithSigilo } from './retention.command.ts';

function dpo(actor: string | undefined): AccessContext {
  return {
    actor: actor ?? 'cli',
    role: 'dpo',
    purpose: 'subject_request',
    requestId: `cli-${Date.now()}`,
    justification: null,
  };
}

function line(r: RequestView): string {
  return `${r.id}  ${r.state.padEnd(17)}  ${r.type.padEnd(22)}  due ${r.dueAt} (${r.due})  subject ${r.subjectId}`;
}

/**
 * Where an export is written: a `.<name>.<pid>.partial` file next to `out`, published under `out` only once it is
 * complete and on disk, so a process killed mid-export never leaves a truncated answer where the answer belongs.
 * Partial files of processes that are gone (a kill -9) are removed first: they hold personal data. An existing
 * `out` is refused (CONFLICT), before the export starts and again, atomically, when it is published.
 */
export function exportTarget(out: string): { partial: string; publish: () => void } {
  const dir = path.dirname(path.resolve(out));
  const base = path.basename(out);
  const stale = new RegExp(`^\\.${escapeRegExp(base)}\\.(\\d+)\\.partial$`);
  for (const f of fs.readdirSync(dir)) {
    const pid = stale.exec(f)?.[1];
    if (pid !== undefined && !processAlive(Number(pid))) fs.rmSync(path.join(dir, f), { force: true });
  }
  const exists = (): SigiloError =>
    new SigiloError('CONFLICT', `${out} already exists; choose another --out`, { path: 'out' });
  if (fs.existsSync(out)) throw exists();
  const partial = path.join(dir, `.${base}.${process.pid}.partial`);
  return {
    partial,
    publish: () => {
      const fd = fs.openSync(partial, 'r');
      try {
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      try {
        fs.linkSync(partial, out); // fails if `out` appeared meanwhile: never overwrites
      } catch (err) {
        if ((err as { code?: string }).code === 'EEXIST') throw exists();
        throw err;
      } finally {
        fs.rmSync(partial, { force: true });
      }
    },
  };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Registers `sigilo requests ...`. */
export function registerRequestsCommands(
  program: Command,
  withSigilo: WithSigilo,
  options: { out?: NodeJS.WritableStream } = {},
): Command {
  const out = options.out ?? process.stdout;
  const requests = program
    .command('requests')
    .description('Data-subject requests (LGPD Arts. 18–19): deadlines, verification, answers');

  requests
    .command('list')
    .description('List requests, soonest deadline first')
    .option('--overdue', 'only open requests past their deadline')
    .option('--due-soon', 'only open requests due within 3 days')
    .option('--subject <id>', 'only requests of this subject')
    .option('--json', 'print as JSON')
    .action(async (opts: { overdue?: boolean; dueSoon?: boolean; subject?: string; json?: boolean }) => {
      if (opts.overdue && opts.dueSoon)
        throw new SigiloError('VALIDATION_FAILED', 'choose --overdue or --due-soon', { path: 'overdue' });
      await withSigilo(async (sigilo) => {
        const list = await sigilo.gate.run(dpo(undefined), (s) =>
          sigilo.services.subjectRequests.list(s, {
            ...(opts.overdue
              ? { due: 'overdue' as const }
              : opts.dueSoon
                ? { due: 'due_soon' as const }
                : {}),
            ...(opts.subject ? { subjectId: opts.subject } : {}),
          }),
        );
        if (opts.json) return void out.write(`${JSON.stringify(list)}\n`);
        if (list.length === 0) out.write('No requests.\n');
        for (const r of list) out.write(`${line(r)}\n`);
      });
    });

  requests
    .command('show')
    .description('One request with its history')
    .argument('<id>', 'request id')
    .option('--json', 'print as JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      await withSigilo(async (sigilo) => {
        const { request, history } = await sigilo.gate.run(dpo(undefined), async (s) => ({
          request: await sigilo.services.subjectRequests.get(s, id),
          history: await sigilo.services.subjectRequests.history(s, id),
        }));
        if (opts.json) return void out.write(`${JSON.stringify({ request, history })}\n`);
        out.write(`${line(request)}\n`);
        for (const e of history) out.write(`  ${e.at}  ${e.kind.padEnd(18)}  ${e.role}:${e.actor}\n`);
      });
    });

  requests
    .command('create')
    .description('Register a request; the deadline is computed in Brasília time')
    .requiredOption('--subject <id>', 'account or person id')
    .requiredOption('--type <type>', 'confirmation, access_complete, deletion, portability, …')
    .option('--channel <channel>', 'portal, email, phone, letter, in_person', 'email')
    .option('--received-at <instant>', 'when it arrived (default now)')
    .option('--actor <id>', 'your staff id')
    .option('--json', 'print as JSON')
    .action(
      async (opts: {
        subject: string;
        type: string;
        channel: string;
        receivedAt?: string;
        actor?: string;
        json?: boolean;
      }) => {
        await withSigilo(async (sigilo) => {
          const r = await sigilo.gate.run(dpo(opts.actor), (s) =>
            sigilo.services.subjectRequests.create(s, {
              subjectId: opts.subject,
              type: opts.type as RequestType,
              channel: opts.channel as RequestChannel,
              ...(opts.receivedAt ? { receivedAt: opts.receivedAt } : {}),
            }),
          );
          out.write(opts.json ? `${JSON.stringify(r)}\n` : `${line(r)}\n`);
        });
      },
    );

  requests
    .command('verify')
    .description('Record a document check of the identity (other methods: the HTTP API)')
    .argument('<id>', 'request id')
    .requiredOption('--document <kind>', 'rg, cnh, passport, rne, cpf_card, company_registration')
    .requiredOption('--reference <ref>', "a reference into the DPO's file, never the document number")
    .option('--actor <id>', 'your staff id')
    .option('--json', 'print as JSON')
    .action(
      async (id: string, opts: { document: string; reference: string; actor?: string; json?: boolean }) => {
        await withSigilo(async (sigilo) => {
          const r = await sigilo.gate.run(dpo(opts.actor), (s) =>
            sigilo.services.subjectRequests.verifyIdentity(s, id, {
              method: 'document_check',
              documentKind: opts.document as 'rg',
              reference: opts.reference,
            }),
          );
          out.write(opts.json ? `${JSON.stringify(r)}\n` : `${line(r)}\n`);
        });
      },
    );

  requests
    .command('export')
    .description('Write the complete export (sigilo.subject-export v1) of a verified request')
    .argument('<id>', 'request id')
    .requiredOption('--out <file>', 'where to write the JSON (created 0600)')
    .option('--actor <id>', 'your staff id')
    .action(async (id: string, opts: { out: string; actor?: string }) => {
      await withSigilo(async (sigilo) => {
        // Refusals (identity not verified, wrong type) before any file exists.
        await sigilo.gate.run(dpo(opts.actor), (s) =>
          sigilo.services.subjectAnswers.assertReleasable(s, id, 'export'),
        );
        const target = exportTarget(opts.out);
        const file = fs.createWriteStream('', { fd: fs.openSync(target.partial, 'wx', 0o600) });
        try {
          await sigilo.gate.run(dpo(opts.actor), (s) => sigilo.services.subjectAnswers.exportTo(s, id, file));
          file.end();
          await once(file, 'close');
          target.publish();
        } catch (err) {
          file.destroy();
          fs.rmSync(target.partial, { force: true });
          throw err;
        }
        out.write(`Wrote ${opts.out}\n`);
      });
    });

  return requests;
}
