import { SqlHeartbeatSource } from '../../../../shared/adapters/sql/sqlHeartbeatSource';
import type { ResolvedPair } from '../../../../shared/config/loadConfig';
import type { HeartbeatReading } from '../../../../shared/domain/heartbeatReading';
import type { Logger } from '../../../../shared/ports/logger.port';
import { pairInput, resolvedPair } from '../../../support/pairs';
import { DEFAULT_LOGIN, LockTable, TdsPeer, lockTableResponder, sessionChatter, type TdsResult } from '../../../support/tdsPeer';
import { closedPort } from '../../../support/closedPort';

// Real mssql/tedious against the TDS test peer over TCP: no mocks between the source and the wire.

const NOW = Date.parse('2026-11-22T12:00:00.000Z');
const SECRET = DEFAULT_LOGIN.password;

let peer: TdsPeer;
let otherPeer: TdsPeer;
let table: LockTable;
const sources: SqlHeartbeatSource[] = [];
const warnings: string[] = [];
const logger: Logger = {
  info: () => undefined,
  warn: (message, fields) => warnings.push(`${message} ${JSON.stringify(fields)}`),
  error: (message, fields) => warnings.push(`${message} ${JSON.stringify(fields)}`),
};

beforeAll(async () => {
  [peer, otherPeer] = await Promise.all([TdsPeer.start(), TdsPeer.start()]);
});

beforeEach(() => {
  table = new LockTable(() => NOW);
  table.set('Default', { owner: 'ADT-PRI01', heartbeatUtc: new Date(NOW - 5_000) });
  peer.respond = lockTableResponder(table);
  otherPeer.respond = lockTableResponder(table);
  peer.hang(false);
  warnings.length = 0;
});

afterEach(async () => {
  await Promise.all(sources.splice(0).map((s) => s.close()));
});

afterAll(async () => {
  await Promise.all([peer.stop(), otherPeer.stop()]);
});

interface PairOptions {
  readonly id?: string;
  readonly port?: number;
  readonly secondaryPort?: number;
  readonly secondaryDatabase?: string;
  readonly password?: string;
}

/** A pair whose databases are on the peers: primary on `port`, secondary on `secondaryPort`. */
function pairOnPeer(options: PairOptions = {}): ResolvedPair {
  const base = pairInput();
  const database = (port: number, name: string) => ({
    server: '127.0.0.1',
    port,
    database: name,
    auth: { type: 'sql' as const, user: DEFAULT_LOGIN.user, passwordSetting: 'TEST_SQL_PASSWORD' },
  });
  const pair = resolvedPair({
    id: options.id ?? 'erp',
    primary: { ...base.primary, database: database(options.port ?? peer.port, 'adTempus') },
    secondary: { ...base.secondary, database: database(options.secondaryPort ?? peer.port, options.secondaryDatabase ?? 'adTempusStandby') },
  });
  const password = options.password ?? SECRET;
  return { ...pair, secrets: { primaryPassword: password, secondaryPassword: password } };
}

function sourceFor(pairs: readonly ResolvedPair[], requestTimeoutMs = 2_000): SqlHeartbeatSource {
  const source = new SqlHeartbeatSource(pairs, { connectTimeoutMs: 2_000, requestTimeoutMs, logger });
  sources.push(source);
  return source;
}

function failure(reading: HeartbeatReading): { code: string; message: string } {
  if (reading.kind !== 'failed') throw new Error(`expected a failure, got a row owned by ${reading.owner}`);
  return { code: reading.code, message: reading.message };
}

function answerWith(result: TdsResult): void {
  peer.respond = (request) => sessionChatter(request) ?? result;
}

/** 'done' if the promise settles within the time, else 'gave up': a bound, not a measurement. */
async function within(ms: number, promise: Promise<unknown>): Promise<'done' | 'gave up'> {
  let timer: NodeJS.Timeout | undefined;
  const giveUp = new Promise<'gave up'>((resolve) => (timer = setTimeout(() => resolve('gave up'), ms)));
  try {
    return await Promise.race([promise.then(() => 'done' as const), giveUp]);
  } finally {
    clearTimeout(timer);
  }
}


describe('SqlHeartbeatSource', () => {
  it('reads the owner, the heartbeat and the database time from a healthy database', async () => {
    const source = sourceFor([pairOnPeer()]);

    await expect(source.read('erp')).resolves.toEqual({
      kind: 'row',
      owner: 'ADT-PRI01',
      heartbeatUtc: new Date(NOW - 5_000),
      dbNowUtc: new Date(NOW),
    });
  });

  it('runs the configured query with the instance and both host names as nvarchar parameters', async () => {
    const pair = pairOnPeer();
    await sourceFor([pair]).read('erp');

    const request = peer.requests[peer.requests.length - 1];
    expect(request).toMatchObject({
      kind: 'rpc',
      sql: pair.heartbeatQuery,
      database: 'adTempus',
      params: {
        instance: { type: 'nvarchar', value: 'Default' },
        primaryHost: { type: 'nvarchar', value: 'ADT-PRI01' },
        secondaryHost: { type: 'nvarchar', value: 'ADT-SEC01' },
      },
    });
  });

  it("measures on the database's clock: a server clock an hour behind shows through dbNowUtc", async () => {
    table.clockSkewMs = -3_600_000;
    table.set('Default', { owner: 'ADT-PRI01', heartbeatUtc: new Date(NOW - 3_600_000 - 20_000) });

    const reading = await sourceFor([pairOnPeer()]).read('erp');

    if (reading.kind !== 'row' || reading.heartbeatUtc === null) throw new Error('expected a row with a heartbeat');
    expect(reading.dbNowUtc).toEqual(new Date(NOW - 3_600_000));
    expect(reading.dbNowUtc.getTime() - reading.heartbeatUtc.getTime()).toBe(20_000);
  });

  it('reports a released lock as a row without an owner', async () => {
    table.set('Default', { owner: null, heartbeatUtc: null });

    await expect(sourceFor([pairOnPeer()]).read('erp')).resolves.toEqual({ kind: 'row', owner: null, heartbeatUtc: null, dbNowUtc: new Date(NOW) });
  });

  it("reads the secondary side from the secondary's database", async () => {
    await sourceFor([pairOnPeer({ secondaryDatabase: 'adTempusStandby' })]).read('erp', 'secondary');

    expect(peer.requests[peer.requests.length - 1]?.database).toBe('adTempusStandby');
  });

  it('reports an instance without a lock row as NO_ROW', async () => {
    table.delete('Default');

    expect(failure(await sourceFor([pairOnPeer()]).read('erp'))).toEqual({ code: 'NO_ROW', message: 'heartbeat query returned no row for instance "Default"' });
  });

  it('reports a refused login as LOGIN_FAILED', async () => {
    const reading = await sourceFor([pairOnPeer({ password: 'Wr0ng-Secret-4711' })]).read('erp');

    expect(failure(reading)).toEqual({ code: 'LOGIN_FAILED', message: `login to 127.0.0.1:${peer.port}/adTempus failed: Login failed for user 'watchdog'.` });
  });

  it('reports a closed port as UNREACHABLE', async () => {
    const port = await closedPort();

    const { code, message } = failure(await sourceFor([pairOnPeer({ port })]).read('erp'));

    expect(code).toBe('UNREACHABLE');
    expect(message).toContain(`cannot reach 127.0.0.1:${port}/adTempus: `);
    expect(message).toContain(`connect ECONNREFUSED 127.0.0.1:${port}`);
  });

  it('reports a hung query as TIMEOUT, and the same source reads normally once the database answers again', async () => {
    const source = sourceFor([pairOnPeer()], 300);
    await source.read('erp');
    peer.hang(true);

    expect(failure(await source.read('erp')).code).toBe('TIMEOUT');
    peer.hang(false);

    await expect(source.read('erp')).resolves.toMatchObject({ kind: 'row', owner: 'ADT-PRI01' });
  });

  it('turns a connection dropped mid-request into a failure value without crashing, and the next read recovers', async () => {
    const source = sourceFor([pairOnPeer()]);
    await source.read('erp');
    peer.dropNextRequest();

    expect(failure(await source.read('erp')).code).toBe('UNREACHABLE');

    await expect(source.read('erp')).resolves.toMatchObject({ kind: 'row', owner: 'ADT-PRI01' });
    expect(warnings).toEqual([expect.stringContaining('SQL connection pool failed')]);
  });

  it('reports other columns as QUERY_SHAPE, naming what came back and what was expected', async () => {
    answerWith({ columns: [{ name: 'Owner', type: 'nvarchar' }, { name: 'LastBeat', type: 'datetime2' }], rows: [['ADT-PRI01', new Date(NOW)]] });

    expect(failure(await sourceFor([pairOnPeer()]).read('erp'))).toEqual({
      code: 'QUERY_SHAPE',
      message: 'heartbeat query returned columns [Owner, LastBeat]; expected owner, heartbeatUtc, dbNowUtc',
    });
  });

  it('matches the expected column names in any case', async () => {
    answerWith({
      columns: [{ name: 'OWNER', type: 'nvarchar' }, { name: 'HeartbeatUTC', type: 'datetime2' }, { name: 'DBNOWUTC', type: 'datetime2' }],
      rows: [['ADT-SEC01', new Date(NOW - 1_000), new Date(NOW)]],
    });

    await expect(sourceFor([pairOnPeer()]).read('erp')).resolves.toEqual({
      kind: 'row',
      owner: 'ADT-SEC01',
      heartbeatUtc: new Date(NOW - 1_000),
      dbNowUtc: new Date(NOW),
    });
  });

  it.each<[string, TdsResult, string]>([
    [
      'dbNowUtc as text',
      { columns: [{ name: 'owner', type: 'nvarchar' }, { name: 'heartbeatUtc', type: 'datetime2' }, { name: 'dbNowUtc', type: 'nvarchar' }], rows: [['A', new Date(NOW), '2026-11-22']] },
      'heartbeat query returned dbNowUtc as a string; expected a date',
    ],
    [
      'a null dbNowUtc',
      { columns: [{ name: 'owner', type: 'nvarchar' }, { name: 'heartbeatUtc', type: 'datetime2' }, { name: 'dbNowUtc', type: 'datetime2' }], rows: [['A', new Date(NOW), null]] },
      'heartbeat query returned dbNowUtc as null; expected a date',
    ],
    [
      'owner as a number',
      { columns: [{ name: 'owner', type: 'int' }, { name: 'heartbeatUtc', type: 'datetime2' }, { name: 'dbNowUtc', type: 'datetime2' }], rows: [[7, new Date(NOW), new Date(NOW)]] },
      'heartbeat query returned owner as a number; expected text or null',
    ],
    [
      'heartbeatUtc as a flag',
      { columns: [{ name: 'owner', type: 'nvarchar' }, { name: 'heartbeatUtc', type: 'bit' }, { name: 'dbNowUtc', type: 'datetime2' }], rows: [['A', true, new Date(NOW)]] },
      'heartbeat query returned heartbeatUtc as a boolean; expected a date or null',
    ],
    ['no result set at all', { rowsAffected: 1 }, 'heartbeat query returned no result set; expected columns owner, heartbeatUtc, dbNowUtc'],
  ])('reports %s as QUERY_SHAPE', async (_case, result, message) => {
    answerWith(result);

    expect(failure(await sourceFor([pairOnPeer()]).read('erp'))).toEqual({ code: 'QUERY_SHAPE', message });
  });

  it('reports a SQL error as QUERY_FAILED with the error number and text', async () => {
    answerWith({ error: { number: 208, message: "Invalid object name 'watchdog.adTempusLock'." } });

    expect(failure(await sourceFor([pairOnPeer()]).read('erp'))).toEqual({
      code: 'QUERY_FAILED',
      message: `heartbeat query on 127.0.0.1:${peer.port}/adTempus failed with SQL error 208: Invalid object name 'watchdog.adTempusLock'.`,
    });
  });

  it('keeps the password out of a failure message even when the server echoes it', async () => {
    answerWith({ error: { number: 50000, message: `bad login secret ${SECRET} here` } });

    const { message } = failure(await sourceFor([pairOnPeer()]).read('erp'));

    expect(message).toContain('bad login secret [redacted] here');
    expect(message).not.toContain(SECRET);
  });

  it('keeps the password out of every failure message and every log line', async () => {
    const port = await closedPort();
    const source = sourceFor([pairOnPeer({ id: 'bad-login', password: 'Wr0ng-Secret-4711' }), pairOnPeer({ id: 'gone', port })], 300);
    const ok = sourceFor([pairOnPeer()], 300);
    await ok.read('erp');
    const messages = [failure(await source.read('bad-login')).message, failure(await source.read('gone')).message];
    peer.hang(true);
    messages.push(failure(await ok.read('erp')).message);
    peer.hang(false);
    peer.dropNextRequest();
    messages.push(failure(await ok.read('erp')).message);

    await ok.read('erp');

    expect(warnings).not.toHaveLength(0);
    for (const text of [...messages, ...warnings]) {
      expect(text).not.toContain('Wr0ng-Secret-4711');
      expect(text).not.toContain(SECRET);
    }
  });

  it('retries the connection on the next read after a failed login', async () => {
    const source = sourceFor([pairOnPeer()]);
    peer.failNextLogins(1);

    expect(failure(await source.read('erp')).code).toBe('LOGIN_FAILED');

    await expect(source.read('erp')).resolves.toMatchObject({ kind: 'row' });
  });

  // mssql's connect() logs in once to check the settings and closes that connection, so a pool
  // costs two logins: the check and the connection it keeps.
  it('reuses its connection: ten reads in a row log in no more than one read does', async () => {
    const source = sourceFor([pairOnPeer()]);
    const before = peer.loginCount;

    await source.read('erp');
    const oneRead = peer.loginCount - before;
    for (let i = 0; i < 9; i++) await source.read('erp');

    expect(oneRead).toBe(2);
    expect(peer.loginCount - before).toBe(2);
  });

  it('shares one connect among five concurrent first reads', async () => {
    const source = sourceFor([pairOnPeer()]);
    const before = peer.loginCount;

    const readings = await Promise.all(Array.from({ length: 5 }, () => source.read('erp')));

    expect(readings.every((r) => r.kind === 'row')).toBe(true);
    expect(peer.loginCount - before).toBe(2);
  });

  it('shares one pool between both sides of a shared database', async () => {
    const source = sourceFor([pairOnPeer({ secondaryDatabase: 'adTempus' })]);
    const before = peer.loginCount;

    await source.read('erp', 'primary');
    await source.read('erp', 'secondary');

    expect(peer.loginCount - before).toBe(2);
  });

  it('keeps a separate pool for each server, so each pair reads its own database', async () => {
    const otherTable = new LockTable(() => NOW);
    otherTable.set('Default', { owner: 'ADT-OTHER', heartbeatUtc: new Date(NOW) });
    otherPeer.respond = lockTableResponder(otherTable);
    const source = sourceFor([pairOnPeer({ id: 'erp' }), pairOnPeer({ id: 'hr', port: otherPeer.port })]);
    const before = [peer.loginCount, otherPeer.loginCount];

    await expect(source.read('erp')).resolves.toMatchObject({ owner: 'ADT-PRI01' });
    await expect(source.read('hr')).resolves.toMatchObject({ owner: 'ADT-OTHER' });
    await expect(source.read('erp')).resolves.toMatchObject({ owner: 'ADT-PRI01' });

    expect([peer.loginCount - before[0]!, otherPeer.loginCount - before[1]!]).toEqual([2, 2]);
  });

  it('closes every connection it opened', async () => {
    const source = sourceFor([pairOnPeer({ id: 'erp' }), pairOnPeer({ id: 'hr', port: otherPeer.port })]);
    await Promise.all([source.read('erp'), source.read('hr')]);
    expect(peer.openConnections + otherPeer.openConnections).toBe(2);

    await source.close();

    await expect(within(2_000, Promise.all([peer.whenIdle(), otherPeer.whenIdle()]))).resolves.toBe('done');
  });

  it('refuses to read once closed, rather than opening pools nobody will close', async () => {
    const source = sourceFor([pairOnPeer()]);
    await source.close();

    await expect(source.read('erp')).rejects.toMatchObject({ code: 'SQL_POOLS_CLOSED' });
  });

  it('refuses a pair it was not given, as a programming error', async () => {
    await expect(sourceFor([pairOnPeer()]).read('nope')).rejects.toMatchObject({ code: 'UNKNOWN_PAIR' });
  });
});
