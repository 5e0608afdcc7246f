import { describe, expect, it } from 'vitest';
import type { SweepReport } from './retention-sweep.ts';
import { RetentionScheduler } from './retention-sweep.job.ts';

function fakeEngine(behaviour: () => Promise<void> = () => Promise.resolve()) {
  const calls: { trigger?: string; maxDurationMs?: number }[] = [];
  return {
    calls,
    engine: {
      run: async (o: { trigger?: string; maxDurationMs?: number } = {}) => {
        calls.push(o);
        await behaviour();
        return { runId: 'r' } as SweepReport;
      },
    },
  };
}

describe('retention sweep schedule', () => {
  it('sweeps on a timer, bounded, never two at once, until stopped', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const f = fakeEngine(() => gate);
    const s = new RetentionScheduler(f.engine, { firstDelayMs: 0, intervalMs: 5, jitter: 0 });
    s.start();
    await new Promise((r) => setTimeout(r, 30));
    // The first sweep is still running: the timer did not start another.
    expect(f.calls).toHaveLength(1);
    expect(f.calls[0]).toMatchObject({ trigger: 'schedule', maxDurationMs: 600_000 });
    const second = s.tick();
    expect(f.calls).toHaveLength(1);
    release();
    await second;
    await new Promise((r) => setTimeout(r, 30));
    expect(f.calls.length).toBeGreaterThanOrEqual(2);
    await s.stop();
    const after = f.calls.length;
    await new Promise((r) => setTimeout(r, 30));
    expect(f.calls).toHaveLength(after);
  });

  it('reports a failed sweep and keeps the schedule', async () => {
    const errors: unknown[] = [];
    const s = new RetentionScheduler(fakeEngine(() => Promise.reject(new Error('db down'))).engine, {
      onError: (e) => errors.push(e),
    });
    await s.tick();
    await s.tick();
    expect(errors).toHaveLength(2);
  });
});
