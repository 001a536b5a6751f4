import { FUNCTION_KEY_CALLER, KEY_CALLER, sameIdentity, twoPersonCheck } from '../../../shared/domain/caller';

describe('twoPersonCheck', () => {
  const alice = { kind: 'entra', name: 'alice@contoso.com' } as const;

  it.each<[string, string | undefined, Parameters<typeof twoPersonCheck>[1], string]>([
    ['another signed-in person approves a request', 'bob@contoso.com', alice, 'ok'],
    ['a signed-in person approves an automatic failover', undefined, alice, 'ok'],
    ['a signed-in person approves an anonymous request', FUNCTION_KEY_CALLER, alice, 'ok'],
    ['the requester approves their own request', 'alice@contoso.com', alice, 'SAME_PERSON'],
    ['the requester approves, spelled in other case and with spaces', ' ALICE@Contoso.com ', alice, 'SAME_PERSON'],
    ['a function-key caller approves a request', 'bob@contoso.com', KEY_CALLER, 'IDENTITY_REQUIRED'],
    ['a function-key caller approves an automatic failover', undefined, KEY_CALLER, 'IDENTITY_REQUIRED'],
  ])('%s: %s', (_case, requestedBy, approver, expected) => {
    const check = twoPersonCheck(requestedBy, approver);

    expect(check.ok ? 'ok' : check.code).toBe(expected);
  });

  it('compares identities without regard to case', () => {
    expect(sameIdentity('Alice@Contoso.COM', 'alice@contoso.com')).toBe(true);
    expect(sameIdentity('alice@contoso.com', 'alicia@contoso.com')).toBe(false);
  });
});
