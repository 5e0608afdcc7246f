/**
 * Statements of a fixed shape, built and compiled by Kysely once per dialect and run again with new values.
 *
 * Building and compiling a query costs more than SQLite takes to run it (the profile of a gated read had Kysely's
 * builder and compiler at about a tenth of the time). A shape is built once with placeholders in place of its
 * values; each run substitutes the values into the compiled parameters and hands the same SQL text to the driver
 * (SQLite then reuses its prepared statement). The session's plugins still see every statement's node before it
 * runs, so the gate's watch for changes (`ChangeWatch` in src/gate/gate.ts) is never bypassed.
 */
import {
  createQueryId,
  type Compilable,
  type CompiledQuery,
  type QueryExecutor,
  type QueryResult,
  type RootOperationNode,
} from 'kysely';

/** Stands for the value at `index` of a run while a shape is built (it becomes one bound parameter). */
class Slot {
  constructor(readonly index: number) {}
}

interface Shape {
  sql: string;
  parameters: readonly unknown[];
  query: RootOperationNode;
}

/** Most shapes kept per dialect: keys are made from table and filter names, never from values. */
const SHAPES_MAX = 1024;
// Keyed by the dialect adapter, which a database and all its transactions share: one compiled text per dialect.
const shapes = new WeakMap<object, Map<string, Shape>>();

/** What a shape is run on: the store's database or a transaction (anything that executes Kysely queries). */
export interface ShapeRunner {
  getExecutor(): QueryExecutor;
}

/**
 * Runs the statement `build` makes, compiled once per `key` and dialect. `build` must use `slot(i)` for the
 * value at `values[i]` (each as a bound value, never as SQL text) and nothing else that changes between runs: the
 * key names everything else (table, columns, how many values an IN list holds).
 */
export async function runShaped<R>(
  db: ShapeRunner,
  key: string,
  values: readonly unknown[],
  build: (slot: (index: number) => never) => Compilable<R>,
): Promise<QueryResult<R>> {
  const executor = db.getExecutor();
  let byDialect = shapes.get(executor.adapter);
  if (!byDialect) {
    byDialect = new Map();
    shapes.set(executor.adapter, byDialect);
  }
  let shape = byDialect.get(key);
  if (!shape) {
    const compiled = build((i) => new Slot(i) as never).compile();
    const used = new Set(compiled.parameters.flatMap((p) => (p instanceof Slot ? [p.index] : [])));
    if (used.size !== values.length)
      throw new Error(`shape ${key}: ${values.length} values, ${used.size} slots`);
    shape = { sql: compiled.sql, parameters: compiled.parameters, query: compiled.query };
    if (byDialect.size >= SHAPES_MAX) byDialect.delete(byDialect.keys().next().value as string);
    byDialect.set(key, shape);
  }
  const queryId = createQueryId();
  const query = executor.transformQuery(shape.query, queryId);
  // A plugin that rewrites statements would need them compiled afresh: build this one with its values.
  if (query !== shape.query) return executor.executeQuery(build((i) => values[i] as never).compile());
  const compiled: CompiledQuery<R> = {
    sql: shape.sql,
    parameters: shape.parameters.map((p) => (p instanceof Slot ? values[p.index] : p)),
    query,
    queryId,
  };
  return executor.executeQuery(compiled);
}
