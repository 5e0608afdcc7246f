// One suite of `npm run soak`: bounded in CI tests, larger here; prints a table and returns JSON-able figures.
export interface SoakResult {
  readonly table: ReadonlyArray<Readonly<Record<string, string | number>>>;
  readonly summary: Readonly<Record<string, string | number>>;
}
export interface SoakSuite {
  readonly name: string;
  run(size: 'ci' | 'soak'): Promise<SoakResult>;
}
