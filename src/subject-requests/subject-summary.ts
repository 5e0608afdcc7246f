/** What is held about a subject, per policy category: counts, when collected, from which sources. */
import type { CollectedItem, SubjectDataSink } from './subject-data.collector.ts';

export interface CategoryHolding {
  items: number;
  firstCollectedAt: string | null;
  lastCollectedAt: string | null;
  sources: string[];
  /** Plain facts retention needs: open contracts, latest contract end, open tickets, latest resolution. */
  facts: {
    activeContracts: number;
    lastEndedOn: string | null;
    openTickets: number;
    lastResolvedAt: string | null;
  };
}

const INSTANT = /"(?:startedAt|at|periodStart)":"([^"]+)"/;

/** Accumulates a summary while the data walks past (feeds the export's summary and the report). */
export class SubjectSummary {
  readonly categories = new Map<string, CategoryHolding>();
  /** The subject's recordings as the report lists them (metadata; a support ticket has a few). */
  readonly recordings: { recordedAt: string; sizeBytes: number | null; keptUntil: string | null }[] = [];

  private holding(category: string): CategoryHolding {
    let h = this.categories.get(category);
    if (!h) {
      h = {
        items: 0,
        firstCollectedAt: null,
        lastCollectedAt: null,
        sources: [],
        facts: { activeContracts: 0, lastEndedOn: null, openTickets: 0, lastResolvedAt: null },
      };
      this.categories.set(category, h);
    }
    return h;
  }

  private seen(category: string, at: string | null, source: string | null): void {
    const h = this.holding(category);
    h.items += 1;
    if (at) {
      if (!h.firstCollectedAt || at < h.firstCollectedAt) h.firstCollectedAt = at;
      if (!h.lastCollectedAt || at > h.lastCollectedAt) h.lastCollectedAt = at;
    }
    if (source && !h.sources.includes(source)) h.sources.push(source);
  }

  /** A sink that only summarises (the report's walk). */
  sink(): SubjectDataSink {
    return {
      section: () => undefined,
      item: (item, category, extra) => this.item(item, category, extra),
      record: (json, category, at) => this.record(json, category, at),
      withheld: (_kind, category, createdAt) => this.withheld(category, createdAt),
      end: () => undefined,
    };
  }

  item(item: CollectedItem, category: string, extra: readonly string[]): void {
    for (const c of [category, ...extra]) this.seen(c, item.provenance.collectedAt, item.provenance.source);
    const a = item.attributes;
    if (category === 'support_recording') {
      const retention = a.retention as { until: string } | null;
      this.recordings.push({
        recordedAt: a.recorded_at as string,
        sizeBytes: (a.size_bytes as number | null) ?? null,
        keptUntil: retention?.until ?? null,
      });
    }
    if (category === 'contract' && 'started_on' in a) {
      const f = this.holding('contract').facts;
      if (a.status === 'active') f.activeContracts += 1;
      const ended = a.ended_on as string | null;
      if (ended && (!f.lastEndedOn || ended > f.lastEndedOn)) f.lastEndedOn = ended;
    }
    if (category === 'support_ticket' && 'opened_at' in a) {
      const f = this.holding('support_ticket').facts;
      if (a.status !== 'resolved') f.openTickets += 1;
      const resolved = a.resolved_at as string | null;
      if (resolved && (!f.lastResolvedAt || resolved > f.lastResolvedAt)) f.lastResolvedAt = resolved;
    }
  }

  /** A secret that exists but is never released. */
  withheld(category: string, createdAt: string): void {
    this.seen(category, createdAt, null);
  }

  record(json: string, category: string, at?: string | null): void {
    this.seen(category, at !== undefined ? at : (INSTANT.exec(json)?.[1] ?? null), 'network_platform');
  }

  /** The summary as JSON (the export's last member). */
  toJSON(): Record<string, Omit<CategoryHolding, 'facts'>> {
    const out: Record<string, Omit<CategoryHolding, 'facts'>> = {};
    for (const [c, { facts: _facts, ...h }] of this.categories) out[c] = h;
    return out;
  }
}
