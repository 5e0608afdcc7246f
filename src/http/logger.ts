/**
 * The application log (pino). It records requests by route pattern, status and latency, never bodies, query
 * strings or headers; authorization headers are redacted should anything try to log them anyway.
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import type { SigiloConfig } from '../config/config.ts';

const REDACT = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'token',
  '*.token',
];

/** Serialises an error without a message that could quote input (JSON parse errors quote the body). */
export function serializeError(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { type: typeof err };
  const e = err as Error & { code?: unknown; statusCode?: unknown };
  const out: Record<string, unknown> = { type: e.name };
  if (typeof e.code === 'string') out.code = e.code;
  if (typeof e.statusCode === 'number') out.statusCode = e.statusCode;
  if (!(err instanceof SyntaxError)) out.stack = e.stack;
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
