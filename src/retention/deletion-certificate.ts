/**
 * Deletion certificates: after each sweep that deleted anything, a JSON document saying what went (per target:
 * category, rule, legal source, counts, time range and SHA-256 digests of the deleted ids), when and under which
 * policy version, with a readable Portuguese summary, signed with Sigilo's Ed25519 key. The signature covers the
 * canonical JSON bytes, which are stored verbatim so verification never depends on re-serialisation.
 */
import { hash } from 'node:crypto';
import { verifyEd25519 } from '../crypto/signing.ts';
import { countPt, pluralPt } from '../i18n/pt-br.ts';
import type { RetentionRule } from '../policy/policy.schema.ts';

/** Domain separation: a certificate signature can never be replayed as an access-log checkpoint or a shred. */
export const CERTIFICATE_SIGNING_CONTEXT = 'sigilo/deletion-certificate/v1\n';

/** Signs with Sigilo's key; the key ring implements it. */
export interface Signer {
  sign(message: Buffer): Buffer;
  readonly signingPublicKey: Buffer;
}

/** What one target deleted in one run. */
export interface CertificateEntry {
  target: string;
  category: string;
  categoryLabel: string;
  description: string;
  rule: RetentionRule;
  ruleText: string;
  source: string;
  verified: boolean;
  counts: { items: number; records: number; subjects: number; shreddedSubjects: number; batches: number };
  /** Earliest and latest instant the deleted records describe. */
  timeRange: { from: string; to: string };
  /** SHA-256 of each batch's sorted primary ids, in commit order, and SHA-256 of those digests joined. */
  hashes: { algorithm: 'sha256'; batches: string[]; root: string };
}

/** The signed body. */
export interface CertificateBody {
  type: 'sigilo.deletion-certificate';
  version: 1;
  id: string;
  runId: string;
  runStatus: 'completed' | 'failed' | 'interrupted';
  issuedAt: string;
  sweep: { startedAt: string; finishedAt: string };
  policyVersion: number;
  entries: CertificateEntry[];
  totals: { items: number; records: number; shreddedSubjects: number };
  summaryPt: string;
}

/** A certificate as stored and exported. */
export interface DeletionCertificate {
  body: CertificateBody;
  /** The exact signed bytes (canonical JSON of `body`). */
  canonical: string;
  signature: string;
  publicKey: string;
  algorithm: 'Ed25519';
}

/** JSON with object keys sorted at every level: the same value always gives the same bytes. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/** SHA-256 (hex) of ids sorted and joined by newlines: the digest of one deletion batch. */
export function digestIds(ids: Iterable<string>): string {
  const sorted = [...ids].sort();
  return hash('sha256', sorted.join('\n'), 'hex');
}

/** SHA-256 (hex) of batch digests joined by newlines, in commit order. */
export function rootDigest(batchDigests: readonly string[]): string {
  return hash('sha256', batchDigests.join('\n'), 'hex');
}

function message(canonical: string): Buffer {
  return Buffer.from(CERTIFICATE_SIGNING_CONTEXT + canonical, 'utf8');
}

/** Signs a body. */
export function signCertificate(body: CertificateBody, signer: Signer): DeletionCertificate {
  const canonical = canonicalJson(body);
  return {
    body,
    canonical,
    signature: signer.sign(message(canonical)).toString('base64'),
    publicKey: signer.signingPublicKey.toString('base64'),
    algorithm: 'Ed25519',
  };
}

export interface VerifyResult {
  ok: boolean;
  /** Why it failed, when it did (never personal data). */
  problem?:
    'signature_invalid' | 'unknown_key' | 'body_mismatch' | 'hash_mismatch' | 'count_mismatch' | 'malformed';
}

/**
 * Verifies a certificate against Sigilo's public key: the signature over the canonical bytes, that the body is
 * what those bytes say, and that its internal arithmetic holds (roots and totals). A certificate re-signed with
 * another key fails as `unknown_key`.
 */
export function verifyCertificate(cert: DeletionCertificate, trustedPublicKey: Buffer): VerifyResult {
  try {
    if (typeof cert.canonical !== 'string' || typeof cert.signature !== 'string') {
      return { ok: false, problem: 'malformed' };
    }
    const publicKey = Buffer.from(String(cert.publicKey), 'base64');
    if (!publicKey.equals(trustedPublicKey)) return { ok: false, problem: 'unknown_key' };
    if (!verifyEd25519(trustedPublicKey, message(cert.canonical), Buffer.from(cert.signature, 'base64'))) {
      return { ok: false, problem: 'signature_invalid' };
    }
    const body = JSON.parse(cert.canonical) as CertificateBody;
    // The readable body travels next to the signed bytes; it must say exactly what they say.
    if (canonicalJson(body) !== cert.canonical) return { ok: false, problem: 'malformed' };
    if (cert.body !== undefined && canonicalJson(cert.body) !== cert.canonical) {
      return { ok: false, problem: 'body_mismatch' };
    }
    for (const e of body.entries) {
      if (rootDigest(e.hashes.batches) !== e.hashes.root) return { ok: false, problem: 'hash_mismatch' };
      if (e.hashes.batches.length !== e.counts.batches) return { ok: false, problem: 'count_mismatch' };
    }
    const records = body.entries.reduce((n, e) => n + e.counts.records, 0);
    const items = body.entries.reduce((n, e) => n + e.counts.items, 0);
    if (records !== body.totals.records || items !== body.totals.items) {
      return { ok: false, problem: 'count_mismatch' };
    }
    return { ok: true };
  } catch {
    return { ok: false, problem: 'malformed' };
  }
}

const RUN_STATUS_PT: Record<CertificateBody['runStatus'], string> = {
  completed: 'concluída',
  failed: 'interrompida por erro (o que foi eliminado antes do erro está certificado aqui)',
  interrupted: 'interrompida (o processo parou; o que foi eliminado antes está certificado aqui)',
};

/** A date-time in Portuguese, Brasília time. */
export function dateTimePt(isoInstant: string, zone: string): string {
  return new Intl.DateTimeFormat('pt-BR', { dateStyle: 'long', timeStyle: 'short', timeZone: zone }).format(
    new Date(isoInstant),
  );
}

function datePt(isoInstant: string, zone: string): string {
  return new Intl.DateTimeFormat('pt-BR', { dateStyle: 'short', timeZone: zone }).format(
    new Date(isoInstant),
  );
}

/** The readable Portuguese summary embedded (and signed) in the certificate. */
export function summaryPt(body: Omit<CertificateBody, 'summaryPt'>, zone: string): string {
  const lines = [
    `Certificado de eliminação ${body.id}.`,
    `Varredura de retenção ${body.runId}, iniciada em ${dateTimePt(body.sweep.startedAt, zone)} e ` +
      `${RUN_STATUS_PT[body.runStatus]} em ${dateTimePt(body.sweep.finishedAt, zone)}, sob a versão ` +
      `${body.policyVersion} da política de privacidade.`,
    pluralPt(body.totals.records, {
      one: 'Foi eliminado # registro ao fim dos prazos de conservação:',
      other: 'Foram eliminados # registros ao fim dos prazos de conservação:',
      zero: 'Nenhum registro foi eliminado ao fim dos prazos de conservação:',
    }),
  ];
  for (const e of body.entries) {
    const source = e.verified ? e.source : `${e.source} (fonte não verificada)`;
    lines.push(
      `- ${e.categoryLabel} (${e.description}): ${countPt(e.counts.records, 'registro', 'registros')} de ` +
        `${countPt(e.counts.subjects, 'titular', 'titulares')}, referentes ao período de ` +
        `${datePt(e.timeRange.from, zone)} a ${datePt(e.timeRange.to, zone)}; regra: ${e.ruleText}; ` +
        `fundamento: ${source}.`,
    );
  }
  if (body.totals.shreddedSubjects > 0) {
    lines.push(
      `As chaves de criptografia de ${countPt(body.totals.shreddedSubjects, 'titular', 'titulares')} foram ` +
        `destruídas (eliminação criptográfica): nenhum dado cifrado com elas pode mais ser lido, inclusive em cópias de segurança.`,
    );
  }
  lines.push(
    'Os resumos SHA-256 dos identificadores eliminados constam deste certificado, assinado com Ed25519; ' +
      `verifique com \`sigilo retention verify ${body.id}\`.`,
  );
  return lines.join('\n');
}
