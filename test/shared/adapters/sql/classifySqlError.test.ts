import sql from 'mssql';
import { classifySqlError } from '../../../../shared/adapters/sql/classifySqlError';

// The errors the peer cannot provoke (Entra ID, DNS, pool exhaustion), built the way mssql and
// tedious build them. The ones it can provoke are covered against the peer.

const WHERE = 'sql01:1433/adTempus';

function codeFor(code: string): Error {
  return Object.assign(new Error(`failure ${code}`), { code });
}

// tarn, mssql's pool, gives up waiting for a connection with an error of this class name.
class TimeoutError extends Error {}

describe('classifySqlError', () => {
  it.each([
    ['an Entra ID token failure wrapped in an AggregateError', new sql.ConnectionError(new AggregateError([codeFor('EFEDAUTH'), new Error('no managed identity endpoint')])), 'LOGIN_FAILED'],
    ['a DNS failure', new sql.ConnectionError('Failed to connect to sql01:1433 - getaddrinfo ENOTFOUND sql01', 'ESOCKET'), 'UNREACHABLE'],
    ['a failed SQL Browser lookup for a named instance', new sql.ConnectionError('Port for SQLEXPRESS not found', 'EINSTLOOKUP'), 'UNREACHABLE'],
    ['a connect timeout', new sql.ConnectionError('Failed to connect to sql01:1433 in 15000ms', 'ETIMEOUT'), 'TIMEOUT'],
    ['a wait for a pooled connection that ran out', new TimeoutError('Failed to acquire a connection from the pool: operation timed out'), 'TIMEOUT'],
    ['an unexpected error', new Error('something else'), 'QUERY_FAILED'],
  ])('classifies %s', (_case, error, code) => {
    expect(classifySqlError(error, WHERE, []).code).toBe(code);
  });

  it('spells out the reasons an AggregateError hides', () => {
    const error = new sql.ConnectionError(new AggregateError([codeFor('EFEDAUTH'), new Error('ManagedIdentityCredential: no endpoint')]));

    expect(classifySqlError(error, WHERE, []).message).toBe(`login to ${WHERE} failed: failure EFEDAUTH; ManagedIdentityCredential: no endpoint`);
  });

  it('blanks out every given secret, wherever it appears', () => {
    const failure = classifySqlError(new Error('pw=hunter2-long and again hunter2-long'), WHERE, ['hunter2-long', undefined]);

    expect(failure.message).toBe(`heartbeat query on ${WHERE} failed with an error: pw=[redacted] and again [redacted]`);
  });
});
