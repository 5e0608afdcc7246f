/** `sigilo policy validate|show|render`: check a policy file, print the policy in force, render its text. */
import fs from 'node:fs';
import type { Command } from 'commander';
import YAML from 'yaml';
import { loadPolicyFile } from '../../policy/policy.loader.ts';
import {
  renderPolicyHtml,
  renderPolicyMarkdown,
  type PolicyVersionSummary,
} from '../../policy/policy.render.ts';
import type { Policy } from '../../policy/policy.schema.ts';
import type { Sigilo } from '../../app.ts';
import { PRIVATE_FILE_MODE } from '../../config/private-files.ts';
import type { CliContext } from '../cli-context.ts';

export function registerPolicyCommand(program: Command, ctx: CliContext): void {
  const policy = program.command('policy').description('validate, show and render the privacy policy');

  policy
    .command('validate <file>')
    .description('check a policy document (YAML or JSON); lists every problem and exits 1 when invalid')
    .option('--json', 'print JSON')
    .action((file: string, opts: { json?: boolean }) => {
      const p = loadPolicyFile(file);
      const summary = {
        valid: true,
        version: p.version,
        effectiveDate: p.effectiveDate,
        categories: p.categories.length,
        purposes: p.purposes.length,
        roles: p.roles.length,
        grants: p.grants.length,
      };
      ctx.print(
        opts.json
          ? JSON.stringify(summary)
          : `valid: version ${p.version} (effective ${p.effectiveDate}), ${summary.categories} categories, ` +
              `${summary.purposes} purposes, ${summary.roles} roles, ${summary.grants} grants`,
      );
    });

  policy
    .command('show')
    .description('print a published policy version (default: the one in force)')
    .option('--version <n>', 'a published version number')
    .option('--format <format>', 'yaml or json', 'yaml')
    .action(async (opts: { version?: string; format: string }) => {
      await ctx.withSigilo(async (sigilo) => {
        const p = await published(sigilo, opts.version);
        ctx.io.out.write(opts.format === 'json' ? `${JSON.stringify(p, null, 2)}\n` : YAML.stringify(p));
      });
    });

  policy
    .command('render')
    .description('render the Portuguese policy text from a file or a published version')
    .option('--file <file>', 'render this policy document instead of a published version')
    .option('--version <n>', 'a published version number (default: the one in force)')
    .option('--format <format>', 'markdown or html', 'markdown')
    .option('--out <file>', 'write to this file instead of stdout')
    .action(async (opts: { file?: string; version?: string; format: string; out?: string }) => {
      let p: Policy;
      let history: PolicyVersionSummary[] = [];
      if (opts.file) {
        p = loadPolicyFile(opts.file);
      } else {
        ({ p, history } = await ctx.withSigilo(async (sigilo) => {
          const chosen = await published(sigilo, opts.version);
          const versions = await sigilo.policies.list();
          const summaries: PolicyVersionSummary[] = [];
          for (const v of versions.filter((x) => x.version <= chosen.version)) {
            const doc = await sigilo.policies.version(v.version);
            summaries.push({ version: doc.version, effectiveDate: doc.effectiveDate, summary: doc.summary });
          }
          return { p: chosen, history: summaries };
        }));
      }
      const text =
        opts.format === 'html' ? renderPolicyHtml(p, { history }) : renderPolicyMarkdown(p, { history });
      if (opts.out) fs.writeFileSync(opts.out, text, { mode: PRIVATE_FILE_MODE });
      else ctx.io.out.write(text.endsWith('\n') ? text : `${text}\n`);
    });
}

async function published(sigilo: Sigilo, version: string | undefined): Promise<Policy> {
  return version === undefined ? sigilo.policies.policy() : sigilo.policies.version(Number(version));
}
