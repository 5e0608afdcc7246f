import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../test/support/http.ts';
import { generateOpenApi, OPENAPI_FILE } from './openapi.ts';

describe('openapi.json', () => {
  let h: TestApp;
  beforeAll(async () => {
    h = await createTestApp('sqlite');
  });
  afterAll(async () => h.cleanup());

  it('is what the route schemas generate (run `npm run openapi` after changing a route)', async () => {
    const generated = await generateOpenApi(h.app);
    const checkedIn = fs.readFileSync(OPENAPI_FILE, 'utf8');
    expect(JSON.parse(checkedIn), 'openapi.json is stale: run `npm run openapi`').toEqual(
      JSON.parse(generated),
    );
  });

  it('is OpenAPI 3.1, requires a bearer token, and documents the purpose header on personal-data routes', async () => {
    const doc = JSON.parse(await generateOpenApi(h.app)) as {
      openapi: string;
      security: unknown[];
      paths: Record<
        string,
        Record<string, { parameters?: { in: string; name: string }[]; security?: unknown[] }>
      >;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.security).toEqual([{ bearer: [] }]);
    const lookup = doc.paths['/v1/people/lookup']?.post;
    expect(lookup?.parameters).toContainEqual(
      expect.objectContaining({ in: 'header', name: 'sigilo-purpose' }),
    );
    expect(doc.paths['/healthz']?.get?.security).toEqual([]);
  });
});
