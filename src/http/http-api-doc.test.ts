/** docs/http-api.md names every operation of openapi.json, written as the document writes it, and no other. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'] as const;
// A code span naming a route: `GET /v1/tokens`, `GET/POST /v1/holds`, `GET /v1/audit/log?afterSeq&limit`.
const ROUTE = /^([A-Z]+(?:\/[A-Z]+)*) (\/[^\s?]*)(?:\?.*)?$/;

/** `METHOD /path` for every operation of the committed OpenAPI document (kept equal to the schemas by its test). */
function openapiOperations(): string[] {
  const doc = JSON.parse(fs.readFileSync(path.join(ROOT, 'openapi.json'), 'utf8')) as {
    paths: Record<string, Record<string, unknown>>;
  };
  return Object.entries(doc.paths).flatMap(([route, item]) =>
    METHODS.filter((m) => m in item).map((m) => `${m.toUpperCase()} ${route}`),
  );
}

/** `METHOD /path` for every route the guide names in a code span (`GET/POST /x` names two). */
function documentedOperations(): Set<string> {
  const text = fs.readFileSync(path.join(ROOT, 'docs/http-api.md'), 'utf8');
  const out = new Set<string>();
  for (const [, span] of text.matchAll(/`([^`\n]+)`/g)) {
    const m = ROUTE.exec(span!);
    if (!m) continue;
    for (const method of m[1]!.split('/')) out.add(`${method} ${m[2]!}`);
  }
  return out;
}

describe('docs/http-api.md', () => {
  const operations = openapiOperations();
  const documented = documentedOperations();

  it('names every operation of openapi.json with its exact path', () => {
    expect(operations.length).toBeGreaterThan(50);
    const missing = operations.filter((op) => !documented.has(op));
    expect(missing, 'docs/http-api.md is missing these routes of openapi.json').toEqual([]);
  });

  it('names no route that openapi.json does not have', () => {
    const known = new Set(operations);
    const extra = [...documented].filter((op) => !known.has(op));
    expect(extra, 'docs/http-api.md names routes that openapi.json does not define').toEqual([]);
  });
});
