/**
 * The in-process sweep schedule: every `intervalMs` (with jitter, so instances started together spread out) run one
 * bounded sweep. Overlapping ticks are skipped, the timer never keeps the process alive, and errors are reported
 * through `onError` without personal data (targets only ever throw coded SigiloErrors or database errors).
 * Several instances may all run this: the engine's per-target locks make each batch happen exactly once.
 */
import type { RetentionEngine } from './retention-engine.ts';
import type { SweepOptions, SweepReport } from './retention-sweep.ts';

export interface ScheduleOptions {
  /** Time between sweeps. Default one hour. */
  intervalMs?: number;
  /** Delay before the first sweep. Default one minute. */
  firstDelayMs?: number;
  /** Up to this fraction of the interval is added at random to each wait. Default 0.1. */
  jitter?: number;
  /** Bounds of each sweep (default: 10 minutes of work; the next tick continues). */
  sweep?: Omit<SweepOptions, 'trigger'>;
  onReport?: (report: SweepReport) => void;
  onError?: (err: unknown) => void;
}

/** Runs sweeps on a timer until stopped. */
export class RetentionScheduler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;

  constructor(
    private readonly engine: Pick<RetentionEngine, 'run'>,
    private readonly options: ScheduleOptions = {},
  ) {}

  /** Starts the schedule (idempotent). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(this.options.firstDelayMs ?? 60_000);
  }

  /** Stops scheduling and waits for a sweep in progress to finish its current batch loop. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Runs one sweep now unless one is already running; resolves when it ends. */
  async tick(): Promise<void> {
    if (this.running) return this.running;
    this.running = (async () => {
      try {
        const report = await this.engine.run({
          maxDurationMs: 10 * 60_000,
          ...this.options.sweep,
          trigger: 'schedule',
        });
        this.options.onReport?.(report);
      } catch (err) {
        this.options.onError?.(err);
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.tick().finally(() => {
        const interval = this.options.intervalMs ?? 3_600_000;
        this.schedule(interval + Math.random() * interval * (this.options.jitter ?? 0.1));
      });
    }, delayMs);
    this.timer.unref();
  }
}
