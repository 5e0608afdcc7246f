import { describe, expect, it } from 'vitest';
import { nodeRefusal } from './supported-node.ts';

describe('nodeRefusal', () => {
  it('accepts Node 24 and Node 22 from 22.13', () => {
    for (const v of ['24.0.0', '24.22.3', 'v24.1.0', '22.13.0', '22.20.1']) expect(nodeRefusal(v)).toBeNull();
  });

  it('refuses end-of-life, too old and untested versions, naming the version', () => {
    for (const v of ['20.20.2', '18.19.0', '22.12.0', '23.11.0', '25.0.0', '26.1.0']) {
      expect(nodeRefusal(v)).toContain(`Node.js ${v} is not supported`);
    }
  });
});
