import { InvocationContext, type LogHandler } from '@azure/functions';
import { randomUUID } from 'node:crypto';
import type { FailureDetailsPayload } from './historyEvent';
import type { RegisteredHandler } from './callOrchestrator';

export type ActivityOutcome =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly reason: string; readonly details: string; readonly failureDetails: FailureDetailsPayload };

/** Runs an activity handler as the host would: the input is its first argument, a fresh InvocationContext its second. */
export async function runActivity(handler: RegisteredHandler, name: string, input: unknown, logHandler?: LogHandler): Promise<ActivityOutcome> {
  const context = new InvocationContext({
    functionName: name,
    invocationId: randomUUID(),
    options: { trigger: { type: 'activityTrigger', name: 'input' } },
    ...(logHandler ? { logHandler } : {}),
  });
  try {
    const result: unknown = await handler(input === undefined ? undefined : JSON.parse(JSON.stringify(input)), context);
    return { ok: true, result: result === undefined ? null : JSON.parse(JSON.stringify(result)) };
  } catch (error) {
    const failureDetails = toFailureDetails(error);
    return {
      ok: false,
      reason: `Activity function '${name}' failed: ${failureDetails.ErrorMessage}`,
      details: failureDetails.StackTrace ?? failureDetails.ErrorMessage,
      failureDetails,
    };
  }
}

/** An ExceptionPropertiesProvider makes the library throw its failure details as JSON in the message. */
function toFailureDetails(error: unknown): FailureDetailsPayload {
  const err = error instanceof Error ? error : new Error(String(error));
  const structured = parseStructured(err.message);
  return {
    ErrorType: structured?.errorType ?? err.name,
    ErrorMessage: structured?.errorMessage ?? err.message,
    ...(err.stack ? { StackTrace: err.stack } : {}),
    IsNonRetriable: false,
    ...(structured?.properties ? { Properties: structured.properties } : {}),
  };
}

function parseStructured(message: string): { errorType: string; errorMessage: string; properties?: Record<string, unknown> } | undefined {
  if (!message.startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(message) as Record<string, unknown>;
    if (typeof parsed.errorType !== 'string' || typeof parsed.errorMessage !== 'string') return undefined;
    const properties = typeof parsed.properties === 'object' && parsed.properties !== null ? (parsed.properties as Record<string, unknown>) : undefined;
    return { errorType: parsed.errorType, errorMessage: parsed.errorMessage, ...(properties ? { properties } : {}) };
  } catch {
    return undefined;
  }
}
