import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, loadConfig } from './config.ts';

const doc = fs.readFileSync(path.resolve(import.meta.dirname, '../../docs/configuration.md'), 'utf8');

describe('configuration', () => {
  it('documents every variable it reads, and nothing it does not', () => {
    // The tables list configuration; secrets the key provider reads (SIGILO_MASTER_KEY...) are described in prose.
    const documented = new Set([...doc.matchAll(/^\| `(SIGILO_[A-Z0-9_]+)`/gm)].map((m) => m[1]));
    for (const v of CONFIG_VARIABLES)
      expect(documented, `${v} missing from docs/configuration.md`).toContain(v);
    for (const v of documented) expect(CONFIG_VARIABLES, `${v} documented but not read`).toContain(v);
  });

  it('defaults to the embedded store and a local key file in ./data', () => {
    const c = loadConfig({});
    expect(c.store.kind).toBe('sqlite');
    expect(c.keys).toMatchObject({ provider: 'local-file' });
    expect(c.http).toMatchObject({ host: '127.0.0.1', insecureHttp: false, tls: null });
    expect(Object.isFrozen(c.http)).toBe(true);
  });

  it('refuses a bad value naming the variable', () => {
    expect(() => loadConfig({ SIGILO_HTTP_PORT: 'eighty' })).toThrow(/SIGILO_HTTP_PORT/);
    expect(() => loadConfig({ SIGILO_DATABASE_URL: 'mysql://x' })).toThrow(/SIGILO_DATABASE_URL/);
    expect(() => loadConfig({ SIGILO_TLS_CERT_FILE: 'cert.pem' })).toThrow(/SIGILO_TLS_KEY_FILE/);
  });

  it('reads PostgreSQL with TLS settings', () => {
    const c = loadConfig({
      SIGILO_DATABASE_URL: 'postgres://u@db/sigilo',
      SIGILO_PG_SSLMODE: 'verify-full',
      SIGILO_PG_CA_FILE: '/etc/ca.pem',
    });
    expect(c.store).toMatchObject({ kind: 'postgres', sslMode: 'verify-full', caFile: '/etc/ca.pem' });
  });
});
