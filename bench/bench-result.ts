/** One benchmark figure, always measured against a baseline in the same run (shared, noisy machines). */
export interface BenchResult {
  id: string;
  what: string;
  value: number;
  unit: string;
  baseline: string;
  baselineValue: number;
  /** baselineValue / value for rates (the "privacy tax"), value / baselineValue for times; see `ratioMeaning`. */
  ratio: number;
  ratioMeaning: string;
  target?: string;
  pass?: boolean;
  /** Each round's figures when the result is the median of several rounds (each with its own baseline). */
  rounds?: { value: number; baselineValue: number; ratio: number }[];
}
