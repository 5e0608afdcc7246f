import { describe, expect, it } from 'vitest';
import { isSigiloError } from '../errors.ts';
import { normalisePhone } from './phone.ts';

function failure(fn: () => unknown): { code: string; details: Record<string, unknown> } {
  try {
    fn();
  } catch (err) {
    if (isSigiloError(err)) return { code: err.code, details: err.details };
    throw err;
  }
  throw new Error('expected a SigiloError');
}

describe('normalisePhone', () => {
  it.each([
    ['(11) 98765-4321', '+5511987654321'],
    ['11 98765-4321', '+5511987654321'],
    ['11987654321', '+5511987654321'],
    ['11 9 8765 4321', '+5511987654321'],
    ['011 98765-4321', '+5511987654321'],
    ['+55 11 98765-4321', '+5511987654321'],
    ['+55 (11) 9 8765-4321', '+5511987654321'],
    ['+5511987654321', '+5511987654321'],
    ['  (21) 99999-9999 ', '+5521999999999'],
    ['(11) 3456-7890', '+551134567890'],
    ['+55 61 3411-1234', '+556134111234'],
    ['0800 123 4567', '+558001234567'],
  ])('reads the Brazilian %j as %s', (input, e164) => {
    expect(normalisePhone(input, 'phone')).toBe(e164);
  });

  it.each([
    ['+1 202 555 0143', '+12025550143'],
    ['+44 20 7946 0958', '+442079460958'],
    ['+351 21 123 4567', '+351211234567'],
  ])('accepts the foreign %j', (input, e164) => {
    expect(normalisePhone(input, 'phone')).toBe(e164);
  });

  it('reads a national writing with another default country', () => {
    expect(normalisePhone('(202) 555-0143', 'phone', 'US')).toBe('+12025550143');
  });

  it.each([
    ['too short', '11 98765'],
    ['one digit missing', '(11) 9876-543'],
    ['one digit too many', '+55 11 98765-43210'],
    ['unassigned area code 20', '(20) 98765-4321'],
    ['a mobile without its 9th digit', '(11) 8765-4321'],
    ['a 9-digit subscriber not starting with 9', '(11) 58765-4321'],
    ['letters', 'abc'],
    ['empty', ''],
    ['surrounding text', 'tel: (11) 98765-4321'],
    ['an extension', '(11) 98765-4321 ext. 12'],
  ])('refuses %s', (_why, input) => {
    const err = failure(() => normalisePhone(input, 'person.phones.0'));
    expect(err.code).toBe('INVALID_PHONE');
    expect(err.details).toMatchObject({ path: 'person.phones.0' });
    expect(JSON.stringify(err.details)).not.toContain('8765');
  });

  it('refuses a value that is not a string', () => {
    expect(failure(() => normalisePhone(5511987654321 as unknown as string, 'phone')).code).toBe(
      'INVALID_PHONE',
    );
  });
});
