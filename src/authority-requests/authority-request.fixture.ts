/** Request bodies for the authority-request tests (the number is test/support SAMPLE.phoneE164). */
/** A valid CDR request of a court, for one number, in November 2026. */
export function cdrOrder(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    externalReference: 'IP 1234/2026-DEIC',
    authority: { name: '1ª Vara Criminal de São Paulo', type: 'judge' },
    legalBasis: 'Marco Civil da Internet, Art. 22',
    courtOrderRef: 'Processo 0001234-56.2026.8.26.0050',
    requestTypes: ['cdrs'],
    targets: [{ kind: 'number', value: '+5511987654321' }],
    window: { from: '2026-11-01T00:00:00Z', to: '2026-11-30T23:59:59Z' },
    deadline: '2026-12-10T18:00:00-03:00',
    ...overrides,
  };
}
