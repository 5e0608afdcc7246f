/**
 * The Brazilian numbering plan as a PBX sees it: the 67 area codes (DDD), 9-digit mobiles, 8-digit landlines,
 * 0800 toll-free, carrier selection codes (CSP) for long-distance and international dialling, and a few
 * foreign numbers. Numbers are random inside valid ranges, so they may belong to someone: they only ever feed
 * synthetic data sets.
 */
import type { Prng } from './prng.ts';

/** Every DDD in use (Anatel plan). */
export const DDDS = [
  11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22, 24, 27, 28, 31, 32, 33, 34, 35, 37, 38, 41, 42, 43, 44, 45, 46,
  47, 48, 49, 51, 53, 54, 55, 61, 62, 63, 64, 65, 66, 67, 68, 69, 71, 73, 74, 75, 77, 79, 81, 82, 83, 84, 85,
  86, 87, 88, 89, 91, 92, 93, 94, 95, 96, 97, 98, 99,
] as const;

// Traffic concentrates in the big metropolitan areas.
const BUSY_DDDS = [11, 11, 11, 11, 21, 21, 31, 41, 51, 61, 71, 81, 85, 91, 19, 27, 48, 62] as const;

/** Carrier selection codes (Código de Seleção de Prestadora) of long-distance carriers. */
export const CSPS = ['12', '14', '15', '21', '23', '25', '31', '41'] as const;

/** A DDD weighted towards the large cities. */
export function randomDdd(rng: Prng): number {
  return rng.next() < 0.6 ? rng.pick(BUSY_DDDS) : rng.pick(DDDS);
}

/** 9XXXX-XXXX: mobiles have 9 digits and start with 9 (then 6-9 in the ranges in service). */
export function mobileSubscriber(rng: Prng): string {
  return '9' + String(rng.int(6, 9)) + rng.digits(7);
}

/** 2XXX-XXXX to 5XXX-XXXX: landlines have 8 digits starting 2 to 5. */
export function landlineSubscriber(rng: Prng): string {
  return String(rng.int(2, 5)) + rng.digits(7);
}

/** 0800 XXX XXXX. */
export function tollFree(rng: Prng): string {
  return '0800' + String(rng.int(1, 9)) + rng.digits(6);
}

const US_AREAS = ['212', '305', '407', '415', '646', '718', '786', '917'] as const;

/** A foreign number as country code + national number (US, Portugal, Argentina or Spain, mobile-heavy). */
export function foreignNumber(rng: Prng): string {
  switch (rng.int(0, 3)) {
    case 0:
      return '1' + rng.pick(US_AREAS) + String(rng.int(2, 9)) + rng.digits(6);
    case 1:
      return '3519' + rng.pick(['1', '2', '3', '6']) + rng.digits(7);
    case 2:
      return '54911' + rng.digits(8);
    default:
      return '346' + rng.digits(8);
  }
}

export type NationalWriting = 'ddd' | 'csp' | 'e164' | 'zero-ddd';

/**
 * A national number (DDD + subscriber) written the way PBXs log it: 'ddd' 11987654321, 'zero-ddd'
 * 011987654321, 'csp' 0 + carrier + DDD + number, 'e164' +5511987654321.
 */
export function writeNational(ddd: number, subscriber: string, writing: NationalWriting, rng: Prng): string {
  switch (writing) {
    case 'ddd':
      return `${ddd}${subscriber}`;
    case 'zero-ddd':
      return `0${ddd}${subscriber}`;
    case 'csp':
      return `0${rng.pick(CSPS)}${ddd}${subscriber}`;
    case 'e164':
      return `+55${ddd}${subscriber}`;
  }
}

/** International dialling from Brazil: 00 + carrier + country code + number. */
export function writeInternational(foreign: string, rng: Prng): string {
  return `00${rng.pick(CSPS)}${foreign}`;
}
