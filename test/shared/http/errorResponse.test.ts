import { HttpResponse } from '@azure/functions';
import { WatchdogError } from '../../../shared/domain/errors';
import { errorResponse } from '../../../shared/http/errorResponse';
import { httpStatusOf } from '../../../shared/http/httpStatusOf';
import { RequestError } from '../../../shared/http/requestError';
import type { Logger } from '../../../shared/ports/logger.port';
import { UnknownPairError } from '../../../shared/services/failoverFacts';
import { ApprovalForbiddenError, FailoverRefusedError, FailoverStateError, UnknownFailoverError } from '../../../shared/services/failoverRequestErrors';

function recorder(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m, f) => lines.push(`info ${m} ${JSON.stringify(f)}`), warn: (m, f) => lines.push(`warn ${m} ${JSON.stringify(f)}`), error: (m, f) => lines.push(`error ${m} ${JSON.stringify(f)}`) };
}

interface Rendered {
  readonly status: number;
  readonly body: { readonly error: Record<string, unknown> };
  readonly headers: Headers;
}

async function render(error: unknown, logger = recorder()): Promise<Rendered> {
  const response = new HttpResponse(errorResponse(error, logger, 'inv-42'));
  return { status: response.status, body: (await response.json()) as Rendered['body'], headers: response.headers };
}

describe('httpStatusOf', () => {
  it.each<[string, unknown, number]>([
    ['a bad body', new RequestError('INVALID_REQUEST', 'bad', ['reason: required']), 400],
    ['malformed JSON', new RequestError('MALFORMED_JSON', 'bad'), 400],
    ['an anonymous approver under the two-person rule', new ApprovalForbiddenError('IDENTITY_REQUIRED', 'who?'), 403],
    ['the requester approving', new ApprovalForbiddenError('TWO_PERSON_RULE', 'not you'), 403],
    ['an unknown pair', new UnknownPairError('nope'), 404],
    ['an unknown failover', new UnknownFailoverError('failover-x'), 404],
    ['a refused failover', new FailoverRefusedError('erp', 'SECONDARY_ACTIVE', ['e']), 409],
    ['a finished failover', new FailoverStateError('FAILOVER_NOT_RUNNING', 'done'), 409],
    ['a failover past its gate', new FailoverStateError('NOT_AWAITING_APPROVAL', 'no'), 409],
    ['a fenced failover', new FailoverStateError('NOT_CANCELLABLE', 'no'), 409],
    ['nothing to acknowledge', new FailoverStateError('NOTHING_TO_ACKNOWLEDGE', 'no'), 409],
    ['a body too large', new RequestError('BODY_TOO_LARGE', 'big'), 413],
    ['a body not JSON', new RequestError('UNSUPPORTED_MEDIA_TYPE', 'text'), 415],
    ['a contended state record', new WatchdogError('STATE_CONTENDED', 'busy'), 503],
    ['an unreadable fence record', new WatchdogError('FENCE_RECORD_INVALID', 'fix it'), 500],
    ['any other error', new TypeError('x is undefined'), 500],
  ])('maps %s to %i', (_case, error, status) => {
    expect(httpStatusOf(error)).toBe(status);
  });
});

describe('errorResponse', () => {
  it('answers JSON with the code, the message, the problems and the details', async () => {
    const refused = await render(new FailoverRefusedError('erp', 'ALREADY_FAILED_OVER', ['the fence names the Secondary']));
    const invalid = await render(new RequestError('INVALID_REQUEST', 'The request body is not valid (1 problem)', ['reason: required']));

    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({
      error: { code: 'FAILOVER_REFUSED', message: expect.stringContaining('ALREADY_FAILED_OVER'), details: { reason: 'ALREADY_FAILED_OVER', evidence: ['the fence names the Secondary'] } },
    });
    expect(refused.headers.get('content-type')).toBe('application/json');
    expect(invalid.body).toEqual({ error: { code: 'INVALID_REQUEST', message: 'The request body is not valid (1 problem)', problems: ['reason: required'] } });
  });

  it('keeps the text of an unexpected error in the log, its URLs redacted, and out of the answer', async () => {
    const logger = recorder();

    const response = await render(new Error('connect to https://host/runtime/webhooks?code=SECRET failed'), logger);

    expect(response.status).toBe(500);
    expect(response.body).toEqual({ error: { code: 'INTERNAL_ERROR', message: expect.stringContaining('inv-42') } });
    expect(JSON.stringify(response.body)).not.toContain('SECRET');
    expect(logger.lines).toEqual([expect.stringContaining('Error: connect to <url> failed')]);
    expect(logger.lines.join('\n')).not.toContain('SECRET');
  });

  it('asks the caller to retry a contended write later', async () => {
    expect((await render(new WatchdogError('STATE_CONTENDED', 'busy'))).headers.get('retry-after')).toBe('5');
  });
});
