/** The policy-as-code module: schema, loading, decisions, rendering and version diffs. */
export * from './policy.schema.ts';
export * from './policy.loader.ts';
export * from './policy.evaluate.ts';
export * from './policy.render.ts';
