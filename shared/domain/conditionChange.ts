/**
 * People are told when a confirmed condition changes, not on every check: a new problem is
 * raised, a cleared one is resolved, an unchanged one stays quiet.
 */
export type AlertDecision<S> =
  | { readonly kind: 'none' }
  | { readonly kind: 'raise'; readonly from?: S; readonly to: S }
  | { readonly kind: 'resolve'; readonly from: S; readonly to: S };

export function decideAlert<S>(previous: S | undefined, next: S | undefined, isOk: (state: S) => boolean): AlertDecision<S> {
  if (next === undefined || previous === next) return { kind: 'none' };
  if (isOk(next)) return previous === undefined || isOk(previous) ? { kind: 'none' } : { kind: 'resolve', from: previous, to: next };
  return previous === undefined ? { kind: 'raise', to: next } : { kind: 'raise', from: previous, to: next };
}
