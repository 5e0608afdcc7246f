/**
 * `sigilo authority`: the authority-request workflow from the command line, in the legal role under purpose
 * `authority_order` (every step through the gate and in the access log). `--actor <staff id>` says who acts:
 * the four-eyes rule compares it with the request's creator.
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import type { AuthorityRequestViewOut } from '../../authority-requests/authority-request.schema.ts';
import { SigiloError } from '../../errors.ts';
import type { AccessContext } from '../../gate/access-context.ts';
import type { CliContext } from '../cli-context.ts';

function legal(actor: string | undefined, justification?: string): AccessContext {
  if (!actor) throw new SigiloError('VALIDATION_FAILED', '--actor <staff id> is required', { path: 'actor' });
  return {
    actor,
    role: 'legal',
    purpose: 'authority_order',
    requestId: `cli-${Date.now()}`,
    justification: justification ?? null,
  };
}

function line(r: AuthorityRequestViewOut): string {
  return (
    `${r.id}  ${r.state.padEnd(13)}  ${r.authority.type.padEnd(24)}  ${r.requestId.number}  due ${r.deadline}` +
    `${r.overdue ? '  OVERDUE' : ''}${r.urgent ? '  URGENT' : ''}${r.secret ? '  SECRET' : ''}`
  );
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
  } catch {
    throw new SigiloError('VALIDATION_FAILED', 'the request file is not readable JSON', { path: 'file' });
  }
}

/** Registers `sigilo authority …`. */
export function registerAuthorityCommands(program: Command, ctx: CliContext): void {
  const authority = program.command('authority').description('Authority requests (legal role)');
  const show = (r: AuthorityRequestViewOut, json?: boolean): void =>
    ctx.print(json ? JSON.stringify(r) : line(r));

  authority
    .command('create')
    .description('Record a request from a JSON file (see docs/authority-export.md)')
    .requiredOption('--actor <id>', 'your staff id')
    .requiredOption('--file <file>', 'the request as JSON')
    .option('--json', 'print as JSON')
    .action(async (opts: { actor: string; file: string; json?: boolean }) => {
      const body = readJson(opts.file);
      await ctx.withSigilo(async (sigilo) => {
        show(
          await sigilo.gate.run(
            await sigilo.services.authorityRequests.contextFor(legal(opts.actor), body as object),
            (s) => sigilo.services.authorityRequests.create(s, body),
          ),
          opts.json,
        );
      });
    });

  authority
    .command('list')
    .description('Requests, newest first (or overdue ones, oldest deadline first)')
    .requiredOption('--actor <id>', 'your staff id')
    .option('--state <state>', 'only requests in this state')
    .option('--overdue', 'only requests past their deadline that are not done')
    .option('--json', 'print as JSON')
    .action(async (opts: { actor: string; state?: string; overdue?: boolean; json?: boolean }) => {
      await ctx.withSigilo(async (sigilo) => {
        const list = await sigilo.gate.run(legal(opts.actor), (s) =>
          sigilo.services.authorityRequests.list(s, {
            ...(opts.state ? { state: opts.state } : {}),
            ...(opts.overdue ? { overdue: true } : {}),
          }),
        );
        if (opts.json) return ctx.print(JSON.stringify(list));
        if (list.length === 0) ctx.print('No requests.');
        for (const r of list) show(r);
      });
    });

  authority
    .command('show')
    .description('One request with its history')
    .argument('<id>')
    .requiredOption('--actor <id>', 'your staff id')
    .option('--json', 'print as JSON')
    .action(async (id: string, opts: { actor: string; json?: boolean }) => {
      await ctx.withSigilo(async (sigilo) => {
        const c = await sigilo.services.authorityRequests.contextFor(legal(opts.actor), id);
        const { request, history } = await sigilo.gate.run(c, async (s) => ({
          request: await sigilo.services.authorityRequests.get(s, id),
          history: await sigilo.services.authorityRequests.history(s, id),
        }));
        if (opts.json) return ctx.print(JSON.stringify({ request, history }));
        show(request);
        for (const e of history)
          ctx.print(`  ${e.at}  ${e.kind.padEnd(18)}  by ${e.actor}  ${JSON.stringify(e.details)}`);
      });
    });

  const decision = (name: 'approve' | 'reject' | 'cancel' | 'deliver', description: string): void => {
    authority
      .command(name)
      .description(description)
      .argument('<id>')
      .requiredOption('--actor <id>', 'your staff id')
      .requiredOption('--reasons <text>', 'why (recorded in the access log; no personal data)')
      .option('--json', 'print as JSON')
      .action(async (id: string, opts: { actor: string; reasons: string; json?: boolean }) => {
        await ctx.withSigilo(async (sigilo) => {
          const svc = sigilo.services.authorityRequests;
          const c = await svc.contextFor(legal(opts.actor), id);
          show(await sigilo.gate.run(c, (s) => svc[name](s, id, { reasons: opts.reasons })), opts.json);
        });
      });
  };
  decision('approve', 'Approve the release (a second legal staff member, not the creator)');
  decision('reject', 'Reject the request, with the reasons');
  decision('cancel', 'Cancel the request, with the reasons');
  decision('deliver', 'Record that the package was delivered (how, in --reasons)');

  for (const [name, description] of [
    ['validate', 'Start the legal validation (received → validating)'],
    ['close', 'Close a delivered request'],
  ] as const) {
    authority
      .command(name)
      .description(description)
      .argument('<id>')
      .requiredOption('--actor <id>', 'your staff id')
      .option('--json', 'print as JSON')
      .action(async (id: string, opts: { actor: string; json?: boolean }) => {
        await ctx.withSigilo(async (sigilo) => {
          const svc = sigilo.services.authorityRequests;
          const c = await svc.contextFor(legal(opts.actor), id);
          show(
            await sigilo.gate.run(c, (s) =>
              name === 'validate' ? svc.startValidation(s, id) : svc.close(s, id),
            ),
            opts.json,
          );
        });
      });
  }

  authority
    .command('export')
    .description('Search and write the signed, encrypted answer package')
    .argument('<id>')
    .requiredOption('--actor <id>', 'your staff id')
    .requiredOption('--out <file>', 'where to write the .tar.age package')
    .option('--recipient <age1…>', "the authority's age X25519 public key")
    .option('--passphrase-file <file>', 'encrypt to the passphrase in this file (deliver it separately)')
    .action(
      async (
        id: string,
        opts: { actor: string; out: string; recipient?: string; passphraseFile?: string },
      ) => {
        if (Boolean(opts.recipient) === Boolean(opts.passphraseFile)) {
          throw new SigiloError('VALIDATION_FAILED', 'give exactly one of --recipient or --passphrase-file', {
            path: 'recipient',
          });
        }
        const to = opts.recipient
          ? { recipient: opts.recipient.trim() }
          : { passphrase: fs.readFileSync(opts.passphraseFile!, 'utf8').replace(/\r?\n$/, '') };
        await ctx.withSigilo(async (sigilo) => {
          const svc = sigilo.services.authorityRequests;
          const c = await svc.contextFor(legal(opts.actor), id);
          const built = await sigilo.gate.run(c, (s) => svc.buildPackage(s, id, to));
          fs.writeFileSync(opts.out, built.bytes, { mode: 0o600 });
          ctx.print(`package     ${opts.out}`);
          ctx.print(`sha256      ${built.sha256}`);
          for (const f of built.found) ctx.print(`found       ${f.category}: ${f.count}`);
        });
      },
    );

  authority
    .command('link-court-order')
    .description('Record the court order that followed a preservation request (its holds stop lapsing)')
    .argument('<id>')
    .requiredOption('--actor <id>', 'your staff id')
    .requiredOption('--ref <ref>', 'the court order reference')
    .action(async (id: string, opts: { actor: string; ref: string }) => {
      await ctx.withSigilo(async (sigilo) => {
        show(
          await sigilo.services.authorityRequests.linkCourtOrder(
            sigilo.gate,
            legal(opts.actor),
            id,
            opts.ref,
          ),
        );
      });
    });

  authority
    .command('counts')
    .description('Requests per month and authority type (for the DPO; no targets)')
    .option('--role <role>', 'dpo, legal or auditor', 'dpo')
    .option('--json', 'print as JSON')
    .action(async (opts: { role: string; json?: boolean }) => {
      await ctx.withSigilo(async (sigilo) => {
        const counts = await sigilo.services.authorityRequests.monthlyCounts({
          actor: 'cli',
          role: opts.role,
          purpose: null,
          requestId: `cli-${Date.now()}`,
        });
        if (opts.json) return ctx.print(JSON.stringify(counts));
        for (const c of counts) ctx.print(`${c.month}  ${c.authorityType.padEnd(24)}  ${c.count}`);
      });
    });

  authority
    .command('public-key')
    .description("Print Sigilo's Ed25519 public key (publish it: verify-export checks packages against it)")
    .action(async () => {
      await ctx.withSigilo((sigilo) =>
        Promise.resolve(ctx.print(sigilo.keyring.signingPublicKey.toString('base64'))),
      );
    });
}
