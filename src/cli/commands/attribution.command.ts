/**
 * `sigilo attribution list|add|remove`: the rules that map platform facts (account code, trunk, SIP username,
 * source IP range, DID prefix) to accounts. The same schema and service as `/v1/attribution-rules`, through the
 * gate: the CLI acts in the provisioning role for the provisioning purpose, and each access is in the access log.
 */
import { Option, type Command } from 'commander';
import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import { SigiloError } from '../../errors.ts';
import { NewRuleBody, RuleParams } from '../../http/routes/records/records.schema.ts';
import type { AccessContext } from '../../gate/access-context.ts';
import {
  RULE_KINDS,
  type AttributionRuleView,
  type RuleKind,
} from '../../telecom/attribution/attribution.ts';
import type { CliContext } from '../cli-context.ts';

/** The operator on the server manages the platform configuration, as the NOC does over HTTP. */
function provisioning(): AccessContext {
  return {
    actor: 'cli:attribution',
    role: 'provisioning',
    purpose: 'provisioning',
    requestId: `cli-${Date.now()}`,
  };
}

type Validator = (value: unknown) => {
  value?: unknown;
  error?: Iterable<{ instancePath: string; message?: string }>;
};

/** The route's own validator for `schema` (the same TypeBox compiler Fastify uses). */
function validatorOf(schema: unknown, httpPart: 'body' | 'params'): Validator {
  return TypeBoxValidatorCompiler({ schema, httpPart } as Parameters<
    typeof TypeBoxValidatorCompiler
  >[0]) as Validator;
}

const validateNewRule = validatorOf(NewRuleBody, 'body');
const validateRuleParams = validatorOf(RuleParams, 'params');

/** VALIDATION_FAILED naming the CLI option for each field the API schema refuses. */
function check<T>(validate: Validator, input: T, optionOf: Record<string, string>): T {
  const result = validate(input);
  if (!result.error) return input;
  const issues = [...result.error].map((e) => {
    const field = e.instancePath.split('/')[1] ?? '';
    return { path: optionOf[field] ?? field, message: e.message ?? 'is invalid' };
  });
  const first = issues[0];
  // One problem is said in the message; several are listed under it.
  throw new SigiloError(
    'VALIDATION_FAILED',
    `${first?.path ?? 'input'}: ${first?.message ?? 'is invalid'}`,
    issues.length > 1 ? { issues } : { path: first?.path },
  );
}

function row(r: AttributionRuleView): string {
  return `${r.id}  ${r.kind.padEnd(11)}  ${r.pattern.padEnd(24)}  account ${r.accountId}  ${r.createdAt}`;
}

/** Registers `sigilo attribution ...`. */
export function registerAttributionCommand(program: Command, ctx: CliContext): void {
  const attribution = program
    .command('attribution')
    .description('attribution rules: which account owns an imported or pushed record');

  attribution
    .command('list')
    .description('list the rules, by kind and pattern')
    .option('--json', 'print JSON (the shape of GET /v1/attribution-rules)')
    .action(async (opts: { json?: boolean }) => {
      await ctx.withSigilo(async (sigilo) => {
        const rules = await sigilo.gate.run(provisioning(), (s) => sigilo.services.attributionRules.list(s));
        if (opts.json) return ctx.print(JSON.stringify({ rules }));
        if (rules.length === 0) return ctx.print('no attribution rules');
        for (const r of rules) ctx.print(row(r));
      });
    });

  attribution
    .command('add')
    .description('add a rule; a record it matches is attributed to the account')
    .addOption(new Option('--kind <kind>', 'what the rule matches').choices(RULE_KINDS).makeOptionMandatory())
    .requiredOption(
      '--pattern <pattern>',
      'the account code, trunk name, SIP username, IP range (CIDR) or DID prefix (+ and 4 to 15 digits)',
    )
    .requiredOption('--account <id>', 'the account the matching records belong to')
    .option('--json', 'print JSON')
    .action(async (opts: { kind: string; pattern: string; account: string; json?: boolean }) => {
      const input = check(
        validateNewRule,
        { kind: opts.kind as RuleKind, pattern: opts.pattern, accountId: opts.account },
        { kind: '--kind', pattern: '--pattern', accountId: '--account' },
      );
      await ctx.withSigilo(async (sigilo) => {
        const rule = await sigilo.gate.run(provisioning(), (s) =>
          sigilo.services.attributionRules.add(s, input.kind, input.pattern, input.accountId),
        );
        const id = rule.id;
        ctx
          .log()
          .info(
            { event: 'attribution_rule.created', ruleId: id, kind: input.kind, via: 'cli' },
            'attribution rule created',
          );
        if (opts.json) return ctx.print(JSON.stringify(rule));
        ctx.print(row(rule));
      });
    });

  attribution
    .command('remove')
    .description('remove a rule (records already stored keep their account)')
    .argument('<id>', 'rule id (from `sigilo attribution list`)')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      check(validateRuleParams, { ruleId: id }, { ruleId: '<id>' });
      await ctx.withSigilo(async (sigilo) => {
        await sigilo.gate.run(provisioning(), (s) => sigilo.services.attributionRules.remove(s, id));
        ctx
          .log()
          .info({ event: 'attribution_rule.removed', ruleId: id, via: 'cli' }, 'attribution rule removed');
        ctx.print(opts.json ? JSON.stringify({ id, removed: true }) : `removed ${id}`);
      });
    });
}
