import type { HeartbeatFailureCode, HeartbeatReadFailure } from '../../domain/heartbeatReading';

const CODES: Readonly<Record<string, HeartbeatFailureCode>> = {
  ELOGIN: 'LOGIN_FAILED',
  EFEDAUTH: 'LOGIN_FAILED',
  SQL_PASSWORD_MISSING: 'LOGIN_FAILED',
  ETIMEOUT: 'TIMEOUT',
  ESOCKET: 'UNREACHABLE',
  ECONNCLOSED: 'UNREACHABLE',
  ECONNRESET: 'UNREACHABLE',
  ECONNREFUSED: 'UNREACHABLE',
  ENOTFOUND: 'UNREACHABLE',
  EAI_AGAIN: 'UNREACHABLE',
  EHOSTUNREACH: 'UNREACHABLE',
  ENETUNREACH: 'UNREACHABLE',
  EINSTLOOKUP: 'UNREACHABLE',
};

/**
 * Turns whatever mssql, tedious or the pool threw into a failure value. `where` names the
 * database; every secret in `secrets` is blanked out of the message, as a last line of defence
 * against a driver or server that echoes one.
 */
export function classifySqlError(error: unknown, where: string, secrets: readonly (string | undefined)[]): HeartbeatReadFailure {
  const text = safeMessage(error, secrets);
  const code = failureCode(error);
  switch (code) {
    case 'LOGIN_FAILED':
      return { kind: 'failed', code, message: `login to ${where} failed: ${text}` };
    case 'UNREACHABLE':
      return { kind: 'failed', code, message: `cannot reach ${where}: ${text}` };
    case 'TIMEOUT':
      return { kind: 'failed', code, message: `${where} did not answer in time: ${text}` };
    default: {
      const number = (error as { number?: unknown }).number;
      const sqlError = typeof number === 'number' ? `SQL error ${number}` : 'an error';
      return { kind: 'failed', code: 'QUERY_FAILED', message: `heartbeat query on ${where} failed with ${sqlError}: ${text}` };
    }
  }
}

function failureCode(error: unknown): HeartbeatFailureCode | undefined {
  // tarn (mssql's pool) gives up waiting for a connection with an error that has no code.
  if (error instanceof Error && error.constructor.name === 'TimeoutError') return 'TIMEOUT';
  for (const code of codesOf(error)) {
    const mapped = CODES[code];
    if (mapped) return mapped;
  }
  return undefined;
}

/** mssql wraps tedious errors, and tedious wraps some in AggregateError: look through all. */
function codesOf(error: unknown, depth = 0): string[] {
  if (typeof error !== 'object' || error === null || depth > 4) return [];
  const e = error as { code?: unknown; originalError?: unknown; cause?: unknown; errors?: unknown };
  return [
    ...(typeof e.code === 'string' ? [e.code] : []),
    ...codesOf(e.originalError, depth + 1),
    ...codesOf(e.cause, depth + 1),
    ...(Array.isArray(e.errors) ? e.errors.flatMap((inner) => codesOf(inner, depth + 1)) : []),
  ];
}

/** The error's message with the reasons tedious tucks away, and without any of `secrets`. */
export function safeMessage(error: unknown, secrets: readonly (string | undefined)[]): string {
  return redact(messageOf(error), secrets);
}

function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // tedious hides the reasons behind an AggregateError: "Could not connect (sequence)" when
  // every address failed, an empty message when Entra ID gave no token.
  const detail = aggregated(error);
  if (!error.message) return detail ?? error.name;
  return detail && !error.message.includes(detail) ? `${error.message} (${detail})` : error.message;
}

function aggregated(error: unknown, depth = 0): string | undefined {
  if (typeof error !== 'object' || error === null || depth > 4) return undefined;
  if (error instanceof AggregateError) return error.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e))).join('; ');
  const e = error as { originalError?: unknown; cause?: unknown };
  return aggregated(e.originalError, depth + 1) ?? aggregated(e.cause, depth + 1);
}

function redact(message: string, secrets: readonly (string | undefined)[]): string {
  return secrets.reduce<string>((text, secret) => (secret ? text.split(secret).join('[redacted]') : text), message);
}
