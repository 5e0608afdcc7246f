import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { describe, expect, it } from 'vitest';
import { fastNumber } from './number-normaliser.ts';

describe('fastNumber', () => {
  it.each([
    ['11987654321', '+5511987654321'],
    ['011987654321', '+5511987654321'],
    ['0 21 11 98765-4321', '+5511987654321'],
    ['(11) 98765-4321', '+5511987654321'],
    ['+55 11 98765-4321', '+5511987654321'],
    ['551132654321', '+551132654321'],
    ['1132654321', '+551132654321'],
    ['08007654321', '+558007654321'],
    ['0800 765 4321', '+558007654321'],
    ['03007654321', '+553007654321'],
    ['05007654321', '+555007654321'],
    ['09007654321', '+559007654321'],
    ['0 15 11 98765-4321', '+5511987654321'],
    ['+14155550143', '+14155550143'],
    ['0014155550143', '0014155550143'],
  ])('normalises %s', (raw, e164) => {
    expect(fastNumber(raw)).toBe(e164);
  });

  it('keeps extensions, withheld and garbage as written', () => {
    expect(fastNumber('1001')).toBe('1001');
    expect(fastNumber('')).toBe('');
    expect(fastNumber('anonymous')).toBe('anonymous');
    expect(fastNumber('2099999999')).toBe('2099999999'); // DDD 20 does not exist
  });

  it('agrees with libphonenumber on every fast-path case of a generated sample', () => {
    let checked = 0;
    for (let i = 0; i < 2000; i++) {
      const ddd = [11, 21, 31, 41, 51, 61, 71, 81, 85, 91][i % 10]!;
      const mobile = `${ddd}9${String(10_000_000 + ((i * 7919) % 89_999_999)).padStart(8, '0')}`;
      const land = `${ddd}${2 + (i % 4)}${String(1_000_000 + ((i * 104_729) % 8_999_999)).padStart(7, '0')}`;
      const nonGeo = `0${[3, 5, 8, 9][i % 4]}00${String((i * 15_485_863) % 10_000_000).padStart(7, '0')}`;
      for (const n of [mobile, land, `0${mobile}`, `055${land}`, nonGeo]) {
        const lib = parsePhoneNumberFromString(n, 'BR');
        const fast = fastNumber(n);
        if (lib?.isValid()) expect(fast).toBe(lib.number);
        else expect(fast.startsWith('+')).toBe(false);
        checked++;
      }
    }
    expect(checked).toBe(10_000);
  });
});
