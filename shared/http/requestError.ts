import { WatchdogError } from '../domain/errors';

export type RequestErrorCode = 'INVALID_REQUEST' | 'MALFORMED_JSON' | 'UNSUPPORTED_MEDIA_TYPE' | 'BODY_TOO_LARGE';

/** The request itself is wrong: the caller can fix it; `problems` name each thing to fix. */
export class RequestError extends WatchdogError {
  constructor(
    code: RequestErrorCode,
    message: string,
    readonly problems: readonly string[] = [],
  ) {
    super(code, message);
  }
}
