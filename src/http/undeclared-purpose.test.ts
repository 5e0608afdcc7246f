/**
 * An undeclared purpose is never stored or echoed (issue 13 §6): a caller once sent a name and a CPF as the
 * purpose, and both went into the access log and back in the 400 body. Only a marker with the value's length is
 * kept — in the error body, the application logs and the access log.
 */
import { expect, it } from 'vitest';
import { describeHttp } from '../../test/support/http.ts';
import { SAMPLE } from '../../test/support/sigilo.ts';
import { logEntries } from '../../test/support/vault.ts';

describeHttp('an undeclared purpose', ({ h, seed }) => {
  it('is refused with 400 PURPOSE_UNKNOWN naming only its length, in the body, the logs and the access log', async () => {
    const t = h();
    const purpose = `${SAMPLE.personName} ${SAMPLE.cpf}`;
    const res = await t.app.inject({
      url: `/v1/people/${seed().personId}`,
      headers: {
        ...(await t.headers('support_agent', null)),
        'sigilo-purpose': purpose,
        'x-request-id': 'undeclared-purpose-1',
      },
    });
    expect(res.statusCode).toBe(400);
    const body = res.json<{ error: { code: string; message: string; details: Record<string, unknown> } }>();
    expect(body.error.code).toBe('PURPOSE_UNKNOWN');
    expect(body.error.details.purpose).toBe(`undeclared:${purpose.length}`);
    expect(body.error.message).toContain(`${purpose.length} characters`);
    const entries = (await logEntries(t.sigilo)).filter((e) => e.requestId === 'undeclared-purpose-1');
    expect(entries).toEqual([
      expect.objectContaining({ outcome: 'denied', purpose: `undeclared:${purpose.length}` }),
    ]);
    const everything = [res.body, JSON.stringify(await logEntries(t.sigilo)), ...t.logs].join('\n');
    for (const secret of [SAMPLE.personName, 'Maria', SAMPLE.cpf, SAMPLE.cpf.replace(/\D/g, '')]) {
      expect(everything).not.toContain(secret);
    }
  });

  it('a declared purpose is recorded as it is', async () => {
    const t = h();
    const res = await t.app.inject({
      url: `/v1/people/${seed().personId}`,
      headers: { ...(await t.headers('support_agent', 'support')), 'x-request-id': 'declared-purpose-1' },
    });
    expect(res.statusCode).toBe(200);
    const entries = (await logEntries(t.sigilo)).filter((e) => e.requestId === 'declared-purpose-1');
    expect(entries[0]).toMatchObject({ outcome: 'allowed', purpose: 'support' });
  });
});
