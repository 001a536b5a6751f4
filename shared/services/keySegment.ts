const SAFE_SEGMENT = /^[A-Za-z0-9._-]+$/;
const ENCODED_PREFIX = 'b64.';

/**
 * An id from outside (a correlation id, a message id) as one state-key segment. Ids that are
 * already safe stay readable; others (and safe ones that look encoded) become base64url, so two
 * ids never share a key.
 */
export function keySegment(id: string): string {
  if (SAFE_SEGMENT.test(id) && id !== '.' && !id.includes('..') && !id.startsWith(ENCODED_PREFIX)) return id;
  return ENCODED_PREFIX + Buffer.from(id, 'utf8').toString('base64url');
}
