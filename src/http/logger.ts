/**
 * The application log (pino). It records requests by route pattern, status and latency, never bodies, query
 * strings or headers; authorization headers are redacted should anything try to log them anyway.
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import type { SigiloConfig } from '../config/config.ts';
import { SigiloError } from '../errors.ts';

const REDACT = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  // The subject portal's signed assertion: a credential for one subject until it expires.
  'headers["sigilo-subject"]',
  'req.headers["sigilo-subject"]',
  'token',
  '*.token',
];

/**
 * Serialises an error for the log: its type, code and stack frames, but the message only for SigiloErrors
 * (whose messages never hold personal data by rule). A foreign message can quote input: a JSON parse error
 * quotes the body, a driver error can quote a value.
 */
export function serializeError(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { type: typeof err };
  const e = err as Error & { code?: unknown; statusCode?: unknown };
  const out: Record<string, unknown> = { type: e.name };
  if (typeof e.code === 'string') out.code = e.code;
  if (typeof e.statusCode === 'number') out.statusCode = e.statusCode;
  if (err instanceof SigiloError) out.message = err.message;
  const frames = (e.stack ?? '').split('\n').filter((l) => /^\s+at /.test(l));
  if (frames.length) out.frames = frames.map((l) => l.trim()).slice(0, 15);
  return out;
}

/** A pino logger at `level`, writing JSON lines to `destination` (stdout by default). */
export function createLogger(level: SigiloConfig['logLevel'], destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'sigilo' },
      redact: { paths: REDACT, censor: '[redacted]' },
      serializers: { err: serializeError },
    },
    destination,
  );
}
