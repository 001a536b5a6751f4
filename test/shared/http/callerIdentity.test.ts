import { callerIdentity } from '../../../shared/http/callerIdentity';

const principal = (claims: { typ: string; val: string }[]): string => Buffer.from(JSON.stringify({ auth_typ: 'aad', claims, name_typ: 'name', role_typ: 'roles' })).toString('base64');
const headers = (values: Record<string, string>): Headers => new Headers(values);

describe('callerIdentity', () => {
  it('names the caller from x-ms-client-principal-name', () => {
    expect(callerIdentity(headers({ 'x-ms-client-principal-name': 'alice@contoso.com' }), true)).toEqual({ kind: 'entra', name: 'alice@contoso.com' });
  });

  it.each([
    ['preferred_username', [{ typ: 'name', val: 'Alice Smith' }, { typ: 'preferred_username', val: 'alice@contoso.com' }], 'alice@contoso.com'],
    ['upn', [{ typ: 'name', val: 'Alice Smith' }, { typ: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn', val: 'alice@contoso.com' }], 'alice@contoso.com'],
    ['name, the last resort', [{ typ: 'name', val: 'Alice Smith' }], 'Alice Smith'],
  ])('names the caller from the %s claim of x-ms-client-principal', (_claim, claims, name) => {
    expect(callerIdentity(headers({ 'x-ms-client-principal': principal(claims) }), true)).toEqual({ kind: 'entra', name });
  });

  it.each([
    ['no identity header', {}],
    ['a principal that is not base64 JSON', { 'x-ms-client-principal': '%%%not-base64%%%' }],
    ['a principal without a naming claim', { 'x-ms-client-principal': principal([{ typ: 'roles', val: 'ops' }]) }],
    ['a blank principal name', { 'x-ms-client-principal-name': '   ' }],
  ])('is the anonymous function-key caller with %s', (_case, values) => {
    expect(callerIdentity(headers(values), true)).toEqual({ kind: 'function-key', name: 'function-key caller' });
  });

  it('ignores the headers when the platform does not vouch for them', () => {
    expect(callerIdentity(headers({ 'x-ms-client-principal-name': 'alice@contoso.com' }), false)).toEqual({ kind: 'function-key', name: 'function-key caller' });
  });

  it('strips control characters and bounds the length of a recorded name', () => {
    const caller = callerIdentity(headers({ 'x-ms-client-principal': principal([{ typ: 'name', val: `evil\u0007name${'x'.repeat(400)}` }]) }), true);

    expect(caller.name).toMatch(/^evilnamex+$/);
    expect(caller.name).toHaveLength(256);
  });
});
