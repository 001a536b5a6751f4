/**
 * Who called a route. With the platform's authentication (Entra ID) the caller has a name;
 * with only a function key the caller is anonymous: the key says "allowed", not "who".
 */
export type Caller = { readonly kind: 'entra'; readonly name: string } | { readonly kind: 'function-key'; readonly name: typeof FUNCTION_KEY_CALLER };

/** How an anonymous key caller is recorded as requester or approver. */
export const FUNCTION_KEY_CALLER = 'function-key caller';

export const KEY_CALLER: Caller = Object.freeze({ kind: 'function-key', name: FUNCTION_KEY_CALLER });

/** Identities compare case-insensitively: Entra treats user principal names that way. */
export function sameIdentity(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

export type TwoPersonCheck = { readonly ok: true } | { readonly ok: false; readonly code: 'IDENTITY_REQUIRED' | 'SAME_PERSON'; readonly detail: string };

/**
 * The two-person rule: the approver of a failover is a named person other than its requester.
 * An anonymous key caller can never satisfy it, because nothing shows it is someone else.
 * An automatic failover has no requester: any named person may approve it.
 */
export function twoPersonCheck(requestedBy: string | undefined, approver: Caller): TwoPersonCheck {
  if (approver.kind !== 'entra') {
    return { ok: false, code: 'IDENTITY_REQUIRED', detail: 'the two-person rule needs the approver to sign in with an Entra identity: a function key does not say who approves' };
  }
  if (requestedBy !== undefined && sameIdentity(requestedBy, approver.name)) {
    return { ok: false, code: 'SAME_PERSON', detail: `the two-person rule forbids ${approver.name} from approving their own failover request: another person must approve` };
  }
  return { ok: true };
}
