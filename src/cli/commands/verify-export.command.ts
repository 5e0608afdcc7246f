/**
 * `sigilo verify-export PACKAGE`: checks an authority answer package on its own — no database, no Sigilo key,
 * only the published public key — and names what was altered, missing or added (docs/authority-export.md).
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import {
  openPackage,
  verifyPackage,
  type ExportVerification,
} from '../../authority-requests/authority-export.ts';
import { SigiloError } from '../../errors.ts';
import type { CliContext } from '../cli-context.ts';

/** Exit status when the package does not verify. */
export const VERIFY_FAILED_EXIT = 2;

function publicKeyOf(opts: { publicKey?: string; publicKeyFile?: string }): Buffer | undefined {
  const text =
    opts.publicKey ?? (opts.publicKeyFile ? fs.readFileSync(opts.publicKeyFile, 'utf8') : undefined);
  if (text === undefined) return undefined;
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32) {
    throw new SigiloError('VALIDATION_FAILED', 'the public key must be 32 bytes in base64', {
      path: 'publicKey',
    });
  }
  return key;
}

function describe(r: ExportVerification): string[] {
  const lines = [
    `signature   ${r.signature}${r.publishedKey === null ? ' (against the key the manifest names)' : r.publishedKey ? ' (published key)' : ' (NOT the published key)'}`,
  ];
  if (r.requestId) {
    lines.push(
      `request     ${r.requestId.countryCode} / ${r.requestId.authorisedOrganisationId} / ${r.requestId.requestNumber}`,
    );
  }
  for (const f of r.altered) lines.push(`altered     ${f}`);
  for (const f of r.missing) lines.push(`missing     ${f}`);
  for (const f of r.added) lines.push(`added       ${f}`);
  for (const p of r.problems) lines.push(`note        ${p}`);
  lines.push(r.ok ? 'OK: the package is complete and unaltered' : 'FAILED: the package does not verify');
  return lines;
}

/** Registers `sigilo verify-export`. */
export function registerVerifyExportCommand(program: Command, ctx: CliContext): void {
  program
    .command('verify-export')
    .description('Verify an authority answer package (no database needed)')
    .argument('<package>', 'the .tar.age file, a plain .tar, or the unpacked folder')
    .option('--public-key <base64>', "Sigilo's published Ed25519 public key")
    .option('--public-key-file <file>', 'the same, from a file')
    .option('--identity-file <file>', 'the age identity (AGE-SECRET-KEY-1…) the package is encrypted to')
    .option('--passphrase-file <file>', 'the passphrase the package is encrypted with')
    .option('--json', 'print the report as JSON')
    .action(
      async (
        location: string,
        opts: {
          publicKey?: string;
          publicKeyFile?: string;
          identityFile?: string;
          passphraseFile?: string;
          json?: boolean;
        },
      ) => {
        if (!fs.existsSync(location)) {
          throw new SigiloError('NOT_FOUND', 'no such package', { path: 'package' });
        }
        const key = publicKeyOf(opts);
        const files = await openPackage(location, {
          ...(opts.identityFile ? { identity: fs.readFileSync(opts.identityFile, 'utf8') } : {}),
          ...(opts.passphraseFile
            ? { passphrase: fs.readFileSync(opts.passphraseFile, 'utf8').replace(/\r?\n$/, '') }
            : {}),
        });
        const report = verifyPackage(files, key);
        if (opts.json) ctx.print(JSON.stringify(report));
        else for (const line of describe(report)) ctx.print(line);
        if (!report.ok) ctx.exitCode = VERIFY_FAILED_EXIT;
      },
    );
}
