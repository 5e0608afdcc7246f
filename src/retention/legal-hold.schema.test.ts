import { describe, expect, it } from 'vitest';
import { isSigiloError, type SigiloError } from '../errors.ts';
import { checkHoldInput, CourtRequestBody, NewHoldBody, ReleaseHoldBody } from './legal-hold.schema.ts';

const base = {
  kind: 'litigation',
  scope: { kind: 'account', id: 'acc-1' },
  categories: ['contract'],
  reason: '  processo 123  ',
};

function failure(run: () => unknown): SigiloError {
  try {
    run();
  } catch (err) {
    if (isSigiloError(err, 'VALIDATION_FAILED')) return err;
    throw err;
  }
  throw new Error('expected VALIDATION_FAILED');
}

describe('legal-hold input schemas', () => {
  it('accepts a hold and stores its free text trimmed, ids as given', () => {
    const h = checkHoldInput(NewHoldBody, {
      ...base,
      window: { from: '2026-01-01', to: '2026-03-01T12:00:00-03:00' },
      authorityRequestRef: ' ofício 7 ',
    });
    expect(h.reason).toBe('processo 123');
    expect(h.authorityRequestRef).toBe('ofício 7');
    expect(h.scope).toEqual({ kind: 'account', id: 'acc-1' });
    expect(h.window).toEqual({ from: '2026-01-01', to: '2026-03-01T12:00:00-03:00' });
  });

  it('names the field at fault, never its value', () => {
    const bad = failure(() => checkHoldInput(NewHoldBody, { ...base, window: { from: '01/02/2026' } }));
    expect(bad.details).toMatchObject({ path: 'hold.window.from' });
    expect(bad.message).toBe('hold.window.from: must be YYYY-MM-DD or an ISO-8601 instant');
    expect(bad.message).not.toContain('01/02/2026');

    expect(
      failure(() => checkHoldInput(NewHoldBody, { ...base, expiresAt: '2026-02-30' })).details,
    ).toMatchObject({ path: 'hold.expiresAt' });
    const { kind: _k, ...noKind } = base;
    expect(failure(() => checkHoldInput(NewHoldBody, noKind)).details).toMatchObject({ path: 'hold.kind' });
    expect(failure(() => checkHoldInput(NewHoldBody, { ...base, kind: 'forever' })).details).toMatchObject({
      path: 'hold.kind',
    });
    expect(failure(() => checkHoldInput(NewHoldBody, { ...base, categories: [] })).details).toMatchObject({
      path: 'hold.categories',
    });
    // An undeclared key is the caller's text: the object holding it is named, never the key.
    const extra = failure(() =>
      checkHoldInput(NewHoldBody, { ...base, scope: { ...base.scope, 'Maria da Silva': 1 } }),
    );
    expect(extra.details).toMatchObject({ path: 'hold.scope' });
    expect(extra.message).toBe('hold.scope: has a property that is not allowed');
    expect(JSON.stringify(extra.details)).not.toContain('Maria');
  });

  it('refuses blank free text', () => {
    expect(failure(() => checkHoldInput(ReleaseHoldBody, { reason: '   ' })).message).toBe(
      'hold.reason: must not be blank',
    );
    expect(failure(() => checkHoldInput(CourtRequestBody, { ref: '' })).details).toMatchObject({
      path: 'hold.ref',
    });
  });
});
