import { describe, expect, it } from 'vitest';
import { loadDefaultPolicy, parsePolicy } from '../policy/policy.loader.ts';
import type { Policy } from '../policy/policy.schema.ts';
import { FreeTextGuard } from './free-text.guard.ts';

function withDetectors(detectors: Policy['detectors']): Policy {
  return parsePolicy({ ...structuredClone(loadDefaultPolicy()), detectors });
}

describe('FreeTextGuard', () => {
  const policy = withDetectors({
    fields: { 'ticket_message.body': 'redact', 'ticket.subject': 'reject' },
    classes: { 'ticket_message.body': { health: 'quarantine', card: 'reject' } },
  });
  const guard = new FreeTextGuard(() => policy);

  it('stores text without findings, and any text of a field the policy does not guard', () => {
    expect(guard.check('ticket_message.body', 'Sem sinal desde ontem', 'b')).toEqual({
      action: 'store',
      text: 'Sem sinal desde ontem',
    });
    expect(guard.check('note.body', 'CPF 111.444.777-35', 'b').action).toBe('store');
  });

  it('applies the class override before the field action, the strictest class winning', () => {
    expect(guard.check('ticket_message.body', 'CPF 111.444.777-35', 'b')).toEqual({
      action: 'redact',
      text: 'CPF [removido: CPF]',
      classes: ['cpf'],
    });
    expect(guard.check('ticket_message.body', 'Sou diabético, CPF 111.444.777-35', 'b')).toMatchObject({
      action: 'quarantine',
      text: 'Sou diabético, CPF 111.444.777-35',
      classes: ['cpf', 'health'],
    });
    let error: unknown;
    try {
      guard.check('ticket_message.body', 'Sou diabético, cartão 4111 1111 1111 1111', 'body');
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({
      code: 'SENSITIVE_DATA_DETECTED',
      details: { path: 'body', classes: ['card'] },
    });
  });

  it('never puts the text in the error', () => {
    try {
      guard.check('ticket.subject', 'CPF 111.444.777-35', 'ticket.title');
      expect.unreachable();
    } catch (err) {
      expect(JSON.stringify(err)).not.toContain('111.444');
      expect(String(err)).not.toContain('111.444');
    }
  });
});
