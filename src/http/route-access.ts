/**
 * What a route does with personal data, in the policy's words, declared once on the route (`config.access`) and
 * emitted in openapi.json as `x-sigilo-access`. The authorization matrix (test/proof/authz-matrix.ts) reads it to
 * compute, from the policy alone, which role and purpose each route must allow; the gate still decides at run time.
 */
import type { Operation } from '../policy/policy.evaluate.ts';

/** One policy question a route's canonical request asks: `operation` on every (`all`) or some (`any`) category. */
export interface CategoryAccess {
  readonly operation: Operation;
  readonly categories: readonly string[];
  /** `any`: the route shows what the role may see and needs one of the categories (default `all`). */
  readonly match?: 'all' | 'any';
  /** Only for these purposes, whatever the grants say (a rule of the code the policy does not express yet). */
  readonly purposes?: readonly string[];
}

/** The OpenAPI extension that carries a route's declaration. */
export const ACCESS_EXTENSION = 'x-sigilo-access';

/** The declaration as openapi.json shows it. */
export interface AccessExtension {
  /** No credentials needed. */
  readonly public?: true;
  /** Only roles the policy gives one of these duties pass the route (403 ROLE_NOT_ALLOWED otherwise), before any
   *  policy question. */
  readonly duties?: readonly string[];
  /** The policy questions of the route's canonical request, each asked for the request's purpose. */
  readonly requires?: readonly CategoryAccess[];
}

/** Shorthand for a route declaration: `access('read', 'name', 'phone')`. */
export function access(operation: Operation, ...categories: string[]): CategoryAccess {
  return { operation, categories };
}

/** Shorthand for a route that needs one of the categories: `anyOf('read', 'name', 'tax_id')`. */
export function anyOf(operation: Operation, ...categories: string[]): CategoryAccess {
  return { operation, categories, match: 'any' };
}

/** The extension for a route's config; undefined when the route declares nothing. */
export function accessExtensionOf(config: {
  public?: boolean;
  duty?: string | readonly string[];
  access?: readonly CategoryAccess[];
}): AccessExtension | undefined {
  const ext: { public?: true; duties?: readonly string[]; requires?: readonly CategoryAccess[] } = {};
  if (config.public) ext.public = true;
  if (config.duty !== undefined) ext.duties = [config.duty].flat();
  if (config.access) ext.requires = config.access;
  return Object.keys(ext).length ? ext : undefined;
}
