import { HttpRequest } from '@azure/functions';
import { z } from 'zod';
import { MAX_BODY_BYTES, readJsonBody } from '../../../shared/http/readJsonBody';

const schema = z.object({ reason: z.string().min(1), dryRun: z.boolean().optional() }).strict();

function post(body: string | undefined, contentType?: string): HttpRequest {
  return new HttpRequest({ method: 'POST', url: 'http://localhost/api/x', headers: contentType ? { 'content-type': contentType } : {}, ...(body !== undefined ? { body: { string: body } } : {}) });
}

async function problemOf(request: HttpRequest): Promise<unknown> {
  return readJsonBody(request, schema).then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('readJsonBody', () => {
  it('returns the parsed body', async () => {
    expect(await readJsonBody(post('{"reason":"move","dryRun":true}', 'application/json; charset=utf-8'), schema)).toEqual({ reason: 'move', dryRun: true });
  });

  it('reads an empty body as {} so a required field is named as missing', async () => {
    expect(await problemOf(post(undefined))).toMatchObject({ code: 'INVALID_REQUEST', problems: [expect.stringMatching(/^reason: /)] });
    expect(await readJsonBody(post(undefined), z.object({ comment: z.string().optional() }))).toEqual({});
  });

  it('names every problem with its path', async () => {
    expect(await problemOf(post('{"reason":"","dryRun":"yes","extra":1}', 'application/json'))).toMatchObject({
      code: 'INVALID_REQUEST',
      problems: expect.arrayContaining([expect.stringMatching(/^reason: /), expect.stringMatching(/^dryRun: /), expect.stringContaining('extra')]),
    });
  });

  it.each([
    ['a body declared as text', post('{"reason":"x"}', 'text/plain'), 'UNSUPPORTED_MEDIA_TYPE'],
    ['a body without a content type', post('{"reason":"x"}'), 'UNSUPPORTED_MEDIA_TYPE'],
    ['malformed JSON', post('{reason: x}', 'application/json'), 'MALFORMED_JSON'],
    ['a body over the limit', post(JSON.stringify({ reason: 'x'.repeat(MAX_BODY_BYTES) }), 'application/json'), 'BODY_TOO_LARGE'],
  ])('refuses %s', async (_case, request, code) => {
    expect(await problemOf(request)).toMatchObject({ code });
  });

  it('accepts a vendor JSON type', async () => {
    expect(await readJsonBody(post('{"reason":"x"}', 'application/merge-patch+json'), schema)).toEqual({ reason: 'x' });
  });
});
