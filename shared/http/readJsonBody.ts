import type { HttpRequest } from '@azure/functions';
import type { z } from 'zod';
import { RequestError } from './requestError';

/** Bodies here are a reason and a few flags: anything near this size is not a real request. */
export const MAX_BODY_BYTES = 16 * 1024;

/**
 * Reads and validates a JSON body. An empty body reads as `{}`, so a route whose fields are all
 * optional needs none, and a required field is named as missing. A body must say it is JSON:
 * form posts and text are refused (415) rather than guessed at.
 */
export async function readJsonBody<S extends z.ZodType>(request: Pick<HttpRequest, 'headers' | 'text'>, schema: S): Promise<z.infer<S>> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  const text = await request.text();
  if (Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) throw tooLarge();
  let body: unknown = {};
  if (text.trim() !== '') {
    if (!isJson(request.headers.get('content-type'))) {
      throw new RequestError('UNSUPPORTED_MEDIA_TYPE', 'The body must be JSON: send it with Content-Type: application/json');
    }
    try {
      body = JSON.parse(text);
    } catch (error) {
      throw new RequestError('MALFORMED_JSON', `The body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.slice(0, 20).map((i) => `${i.path.map(String).join('.') || '(body)'}: ${i.message}`);
  throw new RequestError('INVALID_REQUEST', `The request body is not valid (${problems.length} problem${problems.length === 1 ? '' : 's'})`, problems);
}

function isJson(contentType: string | null): boolean {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

function tooLarge(): RequestError {
  return new RequestError('BODY_TOO_LARGE', `The body is larger than ${MAX_BODY_BYTES / 1024} KiB`);
}
