import type { HttpResponseInit } from '@azure/functions';
import type { Logger } from '../ports/logger.port';
import { errorResponse } from './errorResponse';

/** Runs a route's work; whatever it throws becomes the JSON error body with its mapped status. */
export async function handleHttp(logger: Logger, invocationId: string, work: () => Promise<HttpResponseInit>): Promise<HttpResponseInit> {
  try {
    return await work();
  } catch (error) {
    return errorResponse(error, logger, invocationId);
  }
}
