import type { HttpResponseInit } from '@azure/functions';
import { WatchdogError } from '../domain/errors';
import { redactUrls } from '../domain/redactUrls';
import type { Logger } from '../ports/logger.port';
import { httpStatusOf } from './httpStatusOf';
import { jsonResponse } from './jsonResponse';

export interface ErrorBody {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly problems?: readonly string[];
    readonly details?: Readonly<Record<string, unknown>>;
  };
}

/**
 * The JSON error body every route answers with. WatchdogError messages and details are safe to
 * show by contract; any other error may carry anything (an SDK's URL with a key), so its text
 * goes to the log only and the caller gets a generic 500 with the invocation id to look it up.
 */
export function errorResponse(error: unknown, logger: Logger, invocationId: string): HttpResponseInit {
  const status = httpStatusOf(error);
  if (!(error instanceof WatchdogError)) {
    logger.error('request failed', { error: redactUrls(error instanceof Error ? `${error.name}: ${error.message}` : String(error)) });
    return jsonResponse(500, body('INTERNAL_ERROR', `The request failed on the server; the log has the cause under invocation ${invocationId}`));
  }
  const problems = (error as { problems?: unknown }).problems;
  const details = (error as { details?: unknown }).details;
  if (status >= 500) logger.error('request failed', { code: error.code, error: error.message });
  else logger.info('request refused', { status, code: error.code, error: error.message });
  return jsonResponse(
    status,
    body(error.code, error.message, Array.isArray(problems) && problems.length > 0 ? (problems as string[]) : undefined, isRecord(details) && Object.keys(details).length > 0 ? details : undefined),
    status === 503 ? { 'Retry-After': '5' } : {},
  );
}

function body(code: string, message: string, problems?: readonly string[], details?: Readonly<Record<string, unknown>>): ErrorBody {
  return { error: { code, message, ...(problems ? { problems } : {}), ...(details ? { details } : {}) } };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
