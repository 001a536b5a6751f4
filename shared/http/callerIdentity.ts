import { KEY_CALLER, type Caller } from '../domain/caller';

/** The headers App Service authentication ("Easy Auth") adds for a signed-in caller. */
export const PRINCIPAL_NAME_HEADER = 'x-ms-client-principal-name';
export const PRINCIPAL_HEADER = 'x-ms-client-principal';

/** Claims that name a person, most specific first (a display name is the last resort). */
const NAME_CLAIMS = [
  'preferred_username',
  'upn',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn',
  'email',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
  'name',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
];

const MAX_NAME_LENGTH = 256;

/**
 * Who is calling. `trusted` says whether the platform vouches for these headers: App Service
 * authentication removes any the client sent and sets its own, but without it a caller holding
 * a function key could write any name into them. Untrusted headers are ignored, and the caller
 * is the anonymous key caller.
 */
export function callerIdentity(headers: { get(name: string): string | null }, trusted: boolean): Caller {
  if (!trusted) return KEY_CALLER;
  const name = clean(headers.get(PRINCIPAL_NAME_HEADER)) ?? nameFromPrincipal(headers.get(PRINCIPAL_HEADER));
  return name === undefined ? KEY_CALLER : { kind: 'entra', name };
}

/** `x-ms-client-principal` is base64 JSON: `{ "claims": [{ "typ": "...", "val": "..." }], ... }`. */
function nameFromPrincipal(header: string | null): string | undefined {
  if (!header) return undefined;
  let principal: unknown;
  try {
    principal = JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
  const claims = (principal as { claims?: unknown } | null)?.claims;
  if (!Array.isArray(claims)) return undefined;
  const valueOf = (type: string): string | undefined => {
    const claim = claims.find((c: unknown) => typeof c === 'object' && c !== null && (c as { typ?: unknown }).typ === type) as { val?: unknown } | undefined;
    return typeof claim?.val === 'string' ? clean(claim.val) : undefined;
  };
  for (const type of NAME_CLAIMS) {
    const value = valueOf(type);
    if (value !== undefined) return value;
  }
  return undefined;
}

/** A name is recorded in audit records and messages: no control characters, bounded length. */
function clean(value: string | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  // eslint-disable-next-line no-control-regex
  const text = value.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, MAX_NAME_LENGTH);
  return text === '' ? undefined : text;
}
