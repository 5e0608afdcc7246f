/**
 * `sigilo policy validate|show|render|diff|publish|approve`: check a policy file, print the policy in force, render
 * its text, compare versions, publish the next one (a loosening one waits for a second DPO).
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import YAML from 'yaml';
import { isLoosening } from '../../policy/policy.diff.ts';
import { describeChangesPt } from '../../policy/policy.diff-text.ts';
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
        dutyGrants: p.dutyGrants.reduce((n, g) => n + g.duties.length, 0),
      };
      ctx.print(
        opts.json
          ? JSON.stringify(summary)
          : `valid: version ${p.version} (effective ${p.effectiveDate}), ${summary.categories} categories, ` +
              `${summary.purposes} purposes, ${summary.roles} roles, ${summary.grants} grants, ` +
              `${summary.dutyGrants} duty grants`,
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

  policy
    .command('diff <a> <b>')
    .description('what changed from published version a to b, in Portuguese (--json: paths too)')
    .option('--json', 'print JSON')
    .action(async (a: string, b: string, opts: { json?: boolean }) => {
      await ctx.withSigilo(async (sigilo) => {
        const [from, to] = [await published(sigilo, a), await published(sigilo, b)];
        const text = describeChangesPt(from, to);
        ctx.print(
          opts.json
            ? JSON.stringify({ from: from.version, to: to.version, loosening: isLoosening(from, to), text })
            : text.length
              ? text.map((l) => `- ${l}`).join('\n')
              : 'Nenhuma alteração.',
        );
      });
    });

  policy
    .command('publish <file>')
    .description(
      'publish a policy document as the next version; one that loosens protection waits for approval',
    )
    .requiredOption('--by <dpo>', 'who publishes it (recorded with the version)')
    .option('--json', 'print JSON')
    .action(async (file: string, opts: { by: string; json?: boolean }) => {
      const doc = loadPolicyFile(file);
      await ctx.withSigilo(async (sigilo) => {
        const before = sigilo.policies.policy();
        const result = await sigilo.policies.propose(doc, opts.by);
        const text = describeChangesPt(before, doc);
        ctx.print(
          opts.json
            ? JSON.stringify({ ...result, text })
            : `${result.status === 'published' ? 'published' : 'waiting for a second DPO:'} version ${result.version}\n` +
                text.map((l) => `- ${l}`).join('\n'),
        );
      });
    });

  policy
    .command('approve <version>')
    .description('approve and publish a pending loosening version (a DPO other than its proposer)')
    .requiredOption('--by <dpo>', 'the approving DPO')
    .action(async (version: string, opts: { by: string }) => {
      await ctx.withSigilo(async (sigilo) => {
        const result = await sigilo.policies.approve(Number(version), opts.by);
        ctx.print(`published version ${result.version}`);
      });
    });
}

async function published(sigilo: Sigilo, version: string | undefined): Promise<Policy> {
  return version === undefined ? sigilo.policies.policy() : sigilo.policies.version(Number(version));
}
