import fs from 'node:fs';
import { Readable } from 'node:stream';
import type { Sigilo } from '../../src/app.ts';
import { readCdrs, type CdrFormat } from '../../src/telecom/formats/index.ts';
import { LocalFormatter } from '../../src/telecom/formats/local-time.ts';
import type { RuleKind } from '../../src/telecom/attribution/attribution.ts';
import { asteriskCsvLine, generateCdrs } from './synthetic/synthetic-cdr.ts';
import { fixturePath } from './fixtures.ts';
import { ctx, SAMPLE } from './sigilo.ts';

/** A platform sample of test/fixtures/cdr (origin and licence in its README); throws when it is missing. */
export function cdrSample(rel: string): string {
  return fixturePath('cdr', rel);
}

/** Creates a company account to own imported records; returns its id. */
/** Adds an attribution rule through the gate, as the NOC does (provisioning role and purpose); returns its id. */
export async function addRule(
  sigilo: Sigilo,
  kind: RuleKind,
  pattern: string,
  accountId: string,
): Promise<string> {
  const rule = await sigilo.gate.run(ctx('provisioning', 'provisioning'), (s) =>
    sigilo.services.attributionRules.add(s, kind, pattern, accountId),
  );
  return rule.id;
}

export async function makeAccount(
  sigilo: Sigilo,
  name: string = SAMPLE.companyName,
  cnpj: string = SAMPLE.cnpj,
): Promise<string> {
  return sigilo.gate.run(ctx('support_agent', 'contracting'), (s) =>
    sigilo.services.accounts.create(s, { kind: 'company', name, taxId: cnpj }),
  );
}

/** Imports a file in `format` for `accountId` as a network platform would. */
export async function importFile(sigilo: Sigilo, format: CdrFormat, file: string, accountId?: string) {
  return sigilo.services.telecomIngest.ingestCdrs(
    ctx('network_platform', 'provisioning'),
    readCdrs(format, fs.createReadStream(file)),
    {
      ...(accountId ? { accountId } : {}),
    },
  );
}

/** `count` synthetic Asterisk CSV lines (Brazilian numbering plan) as a stream. */
export function syntheticAsterisk(count: number, seed = 7): { stream: () => Readable; lines: string[] } {
  const lines: string[] = [];
  const local = new LocalFormatter('America/Sao_Paulo');
  for (const cdr of generateCdrs({ count, seed })) lines.push(asteriskCsvLine(cdr, local));
  return { lines, stream: () => Readable.from([lines.join('')]) };
}
