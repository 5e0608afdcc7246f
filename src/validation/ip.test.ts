import { describe, expect, it } from 'vitest';
import { isSigiloError } from '../errors.ts';
import { ipVersion, normaliseIp } from './ip.ts';

describe('normaliseIp', () => {
  it.each([
    ['192.168.0.1', '192.168.0.1', 4],
    [' 200.160.2.3 ', '200.160.2.3', 4],
    ['0.0.0.0', '0.0.0.0', 4],
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1', 6],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1', 6],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1', 6],
    ['2001:DB8::A', '2001:db8::a', 6],
    ['::1', '::1', 6],
    ['::', '::', 6],
    ['::ffff:200.160.2.3', '200.160.2.3', 4],
    ['::FFFF:C8A0:0203', '200.160.2.3', 4],
    ['64:ff9b::1.2.3.4', '64:ff9b::102:304', 6],
  ])('writes %j as %s (IPv%i)', (input, canonical, version) => {
    expect(normaliseIp(input, 'ip')).toBe(canonical);
    expect(ipVersion(canonical)).toBe(version);
  });

  it.each([
    ['an octet above 255', '256.1.1.1'],
    ['three parts', '1.2.3'],
    ['the short form', '127.1'],
    ['hexadecimal', '0x7f.0.0.1'],
    ['a leading zero (octal elsewhere)', '010.0.0.1'],
    ['a zone id', 'fe80::1%eth0'],
    ['a CIDR prefix', '10.0.0.0/8'],
    ['an IPv6 prefix', '2001:db8::/32'],
    ['two compressions', '2001::db8::1'],
    ['a host name', 'localhost'],
    ['garbage', 'not an ip'],
    ['empty', ''],
  ])('refuses %s', (_why, input) => {
    try {
      normaliseIp(input, 'access.ip');
      expect.unreachable();
    } catch (err) {
      expect(isSigiloError(err, 'INVALID_IP')).toBe(true);
      expect(isSigiloError(err) && err.details).toEqual({ path: 'access.ip' });
    }
  });
});
