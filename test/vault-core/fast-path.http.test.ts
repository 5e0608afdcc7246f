/**
 * The group commit of access-log entries as an HTTP client sees it: concurrent lookups by phone share commits,
 * each 200 is sent only with its entry in the log, in the order the chain gives; a commit that fails answers every
 * request waiting on it with a coded 500 (INTERNAL_ERROR) and none of them with data.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, seedCustomer, type TestApp } from '../support/http.ts';
import { SAMPLE } from '../support/sigilo.ts';
import { DIALECTS } from '../support/stores.ts';
import { logEntries } from '../support/vault.ts';

describe.each(DIALECTS)('lookups by phone over HTTP sharing group commits on %s', (dialect) => {
  let h: TestApp;
  let headers: Record<string, string>;
  beforeAll(async () => {
    h = await createTestApp(dialect);
    await seedCustomer(h.sigilo);
    headers = { ...(await h.headers('support_agent', 'support')), 'content-type': 'application/json' };
  });
  afterAll(() => h.cleanup());
  afterEach(() => vi.restoreAllMocks());

  const lookups = (n: number) =>
    Promise.all(
      Array.from({ length: n }, (_, i) =>
        h.app.inject({
          method: 'POST',
          url: '/v1/people/lookup',
          headers: { ...headers, 'x-request-id': `gc-${dialect}-${Date.now()}-${i}` },
          payload: { phone: SAMPLE.phone },
        }),
      ),
    );

  it('answers each request after its entry, one entry per request, in chain order, fewer commits than requests', async () => {
    const writer = h.sigilo.accessLog.writer;
    const appends = vi.spyOn(writer, 'append');
    const before = (await logEntries(h.sigilo)).length;
    // The entries committed at the moment each answer is handed over.
    const order: string[] = [];
    const responses = await Promise.all(
      (await lookups(30)).map(async (r) => {
        order.push(r.headers['x-request-id'] as string);
        return r;
      }),
    );
    for (const r of responses) {
      expect(r.statusCode).toBe(200);
      expect(r.json<{ people: unknown[] }>().people).toHaveLength(1);
    }
    const entries = (await logEntries(h.sigilo)).slice(before);
    expect(entries).toHaveLength(30);
    expect(new Set(entries.map((e) => e.requestId))).toEqual(new Set(order));
    // Consecutive sequence numbers: the chain order is the commit order.
    entries.forEach((e, i) => expect(e.seq).toBe(entries[0]!.seq + i));
    expect(appends.mock.calls.length).toBeLessThan(30);
    expect((await h.sigilo.accessLog.verify()).ok).toBe(true);
  });

  it('a failing group commit answers every request waiting on it 500 INTERNAL_ERROR, and none with data', async () => {
    const writer = h.sigilo.accessLog.writer;
    const append = writer.append.bind(writer);
    let failed = 0;
    vi.spyOn(writer, 'append').mockImplementation(async (tx, entries) => {
      // Every append carrying several requests' entries (a group commit) fails, as a full disk would.
      if (entries.length > 1) {
        failed++;
        throw new Error('disk full');
      }
      return append(tx, entries);
    });
    const before = (await logEntries(h.sigilo)).length;
    const responses = await lookups(30);
    expect(failed).toBeGreaterThan(0);
    const committed = new Set((await logEntries(h.sigilo)).slice(before).map((e) => e.requestId));
    const refused = responses.filter((r) => r.statusCode !== 200);
    expect(refused.length).toBeGreaterThan(1);
    for (const r of responses) {
      const id = r.headers['x-request-id'] as string;
      if (r.statusCode === 200) {
        // Answered only because its entry made it into the log (alone, in its own transaction).
        expect(committed.has(id)).toBe(true);
        continue;
      }
      expect(r.statusCode).toBe(500);
      expect(r.json()).toEqual({
        error: { code: 'INTERNAL_ERROR', message: 'internal error', details: { requestId: id } },
      });
      expect(r.body).not.toContain(SAMPLE.phoneE164);
      expect(r.body).not.toContain(SAMPLE.personName);
    }
    expect((await h.sigilo.accessLog.verify()).ok).toBe(true);
  });
});
