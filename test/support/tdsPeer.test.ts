import sql from 'mssql';
import { DEFAULT_LOGIN, LockTable, TdsPeer, lockTableResponder, sessionChatter, type TdsRequest, type TdsResult } from './tdsPeer';

// The peer is only worth something if the real client accepts it: every case goes through mssql.

let peer: TdsPeer;
const pools: sql.ConnectionPool[] = [];

beforeAll(async () => {
  peer = await TdsPeer.start();
});

afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
  await peer.stop();
});

beforeEach(() => {
  peer.respond = (request) => sessionChatter(request) ?? { error: { number: 50000, message: 'no answer set' } };
  peer.latencyMs = 0;
  peer.hang(false);
});

async function connect(overrides: Partial<sql.config> = {}): Promise<sql.ConnectionPool> {
  const pool = new sql.ConnectionPool({
    server: '127.0.0.1',
    port: peer.port,
    database: 'adTempus',
    user: DEFAULT_LOGIN.user,
    password: DEFAULT_LOGIN.password,
    pool: { max: 1 },
    // mssql's default check runs SELECT 1 before each request, which would itself hang or time
    // out in the fault cases below and hide what the peer does with the request under test.
    validateConnection: 'socket',
    options: { encrypt: true, trustServerCertificate: false },
    ...overrides,
  });
  pool.on('error', () => undefined);
  pools.push(pool);
  await pool.connect();
  // connect() logs in once and closes that probe connection; this opens the one the tests use.
  await pool.request().query('SELECT 1;');
  return pool;
}

function answer(fn: (request: TdsRequest) => TdsResult | undefined): void {
  peer.respond = (request) => sessionChatter(request) ?? fn(request) ?? { error: { number: 50000, message: 'unexpected request' } };
}

function lastQuery(): TdsRequest {
  const found = [...peer.requests].reverse().find((r) => sessionChatter(r) === undefined);
  if (!found) throw new Error('the peer saw no query');
  return found;
}

describe('TdsPeer', () => {
  it('lets the real mssql client log in over plain TCP even when it asks for encryption, and answers a query', async () => {
    const logins = peer.loginCount;
    answer(() => ({ columns: [{ name: 'greeting', type: 'nvarchar' }, { name: 'n', type: 'int' }], rows: [['hello', 42]] }));
    const pool = await connect();

    const result = await pool.request().query('SELECT N\'hello\' AS greeting, 42 AS n');

    expect(result.recordset).toEqual([{ greeting: 'hello', n: 42 }]);
    expect(peer.loginCount).toBeGreaterThan(logins);
    expect(lastQuery()).toMatchObject({ kind: 'rpc', sql: "SELECT N'hello' AS greeting, 42 AS n", user: 'watchdog', database: 'adTempus' });
  });

  it('refuses a wrong password with error 18456, which mssql reports as ELOGIN', async () => {
    const failed = peer.failedLoginCount;

    const error = await connect({ password: 'wrong' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(sql.ConnectionError);
    expect(error).toMatchObject({ code: 'ELOGIN', message: "Login failed for user 'watchdog'." });
    expect(peer.failedLoginCount).toBe(failed + 1);
  });

  it('fails exactly as many logins as asked, then lets the client in again', async () => {
    peer.failNextLogins(1);

    await expect(connect()).rejects.toMatchObject({ code: 'ELOGIN' });
    await expect(connect()).resolves.toBeInstanceOf(sql.ConnectionPool);
  });

  it('hands the responder every parameter by name with its SQL type and value', async () => {
    answer(() => ({ rowsAffected: 0 }));
    const pool = await connect();
    const at = new Date('2026-11-22T03:04:05.678Z');

    await pool
      .request()
      .input('instance', sql.NVarChar(256), 'Default ünïcode')
      .input('code', sql.VarChar(20), 'ascii')
      .input('count', sql.Int, -7)
      .input('big', sql.BigInt, 9_007_199_254_740_993n as unknown as number)
      .input('flag', sql.Bit, true)
      .input('at', sql.DateTime2(7), at)
      .input('missing', sql.NVarChar(50), null)
      .query('UPDATE t SET c = @count WHERE i = @instance');

    expect(lastQuery().params).toEqual({
      instance: { type: 'nvarchar', value: 'Default ünïcode' },
      code: { type: 'varchar', value: 'ascii' },
      count: { type: 'int', value: -7 },
      big: { type: 'bigint', value: 9_007_199_254_740_993n },
      flag: { type: 'bit', value: true },
      at: { type: 'datetime2', value: at },
      missing: { type: 'nvarchar', value: null },
    });
  });

  it('decodes a statement longer than 4000 characters, which tedious sends as nvarchar(max)', async () => {
    answer(() => ({ rowsAffected: 0 }));
    const pool = await connect();
    const long = `SELECT 1 /* ${'x'.repeat(5000)} */`;

    await pool.request().input('n', sql.Int, 1).query(long);

    expect(lastQuery().sql).toBe(long);
  });

  it('surfaces an error token as a RequestError carrying the SQL error number and text', async () => {
    answer(() => ({ error: { number: 208, message: "Invalid object name 'dbo.Nope'." } }));
    const pool = await connect();

    const error = await pool.request().query('SELECT * FROM dbo.Nope').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(sql.RequestError);
    expect(error).toMatchObject({ number: 208, message: "Invalid object name 'dbo.Nope'." });
  });

  it('answers a batch with its rows-affected count', async () => {
    answer((r) => (r.kind === 'batch' ? { rowsAffected: 3 } : undefined));
    const pool = await connect();

    const result = await pool.request().batch("RESTORE DATABASE adTempus FROM URL = 'x'");

    expect(result.rowsAffected).toEqual([3]);
    expect(lastQuery()).toMatchObject({ kind: 'batch', sql: "RESTORE DATABASE adTempus FROM URL = 'x'", params: {} });
  });

  it('splits a large result over many packets, and every row arrives intact', async () => {
    const rows = Array.from({ length: 2000 }, (_, i) => [i, `row ${i} ${'ä'.repeat(i % 50)}`, i % 2 === 0, BigInt(i) * 1_000_000_007n, null]);
    answer(() => ({
      columns: [
        { name: 'id', type: 'int' },
        { name: 'label', type: 'nvarchar' },
        { name: 'even', type: 'bit' },
        { name: 'big', type: 'bigint' },
        { name: 'nothing', type: 'datetime2' },
      ],
      rows,
    }));
    const pool = await connect({ options: { encrypt: false, packetSize: 512 } });

    const result = await pool.request().query('SELECT many');

    expect(result.recordset).toHaveLength(2000);
    expect(result.recordset[1999]).toEqual({ id: 1999, label: `row 1999 ${'ä'.repeat(49)}`, even: false, big: String(1999n * 1_000_000_007n), nothing: null });
    expect(result.recordset.map((r: { id: number }) => r.id)).toEqual(rows.map((r) => r[0]));
  });

  it('answers the ATTENTION tedious sends after a request timeout, so the same connection serves the next query', async () => {
    answer(() => ({ columns: [{ name: 'n', type: 'int' }], rows: [[1]] }));
    const pool = await connect({ requestTimeout: 150 });
    const logins = peer.loginCount;
    peer.hang(true);

    await expect(pool.request().query('SELECT n')).rejects.toMatchObject({ code: 'ETIMEOUT' });
    peer.hang(false);

    await expect(pool.request().query('SELECT n')).resolves.toMatchObject({ recordset: [{ n: 1 }] });
    expect(peer.loginCount).toBe(logins);
  });

  it('delays each answer by latencyMs, so a client with a shorter request timeout gives up', async () => {
    answer(() => ({ columns: [{ name: 'n', type: 'int' }], rows: [[7]] }));
    const pool = await connect({ requestTimeout: 100 });
    peer.latencyMs = 1_000;

    await expect(pool.request().query('SELECT n')).rejects.toMatchObject({ code: 'ETIMEOUT' });
    peer.latencyMs = 0;

    await expect(pool.request().query('SELECT n')).resolves.toMatchObject({ recordset: [{ n: 7 }] });
  });

  it('never sends the answer to a request the client cancelled, so the next query gets its own', async () => {
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    peer.respond = async (request) => {
      if (request.sql === 'SELECT slow') await held;
      return sessionChatter(request) ?? { columns: [{ name: 'n', type: 'int' }], rows: [[request.sql === 'SELECT slow' ? 7 : 8]] };
    };
    const pool = await connect({ requestTimeout: 100 });

    await expect(pool.request().query('SELECT slow')).rejects.toMatchObject({ code: 'ETIMEOUT' });
    release();
    await held;

    await expect(pool.request().query('SELECT fast')).resolves.toMatchObject({ recordset: [{ n: 8 }] });
  });

  it('closes the connection when told to drop the next request, and the client sees a connection failure', async () => {
    answer(() => ({ columns: [{ name: 'n', type: 'int' }], rows: [[1]] }));
    const pool = await connect();
    peer.dropNextRequest();

    const error = await pool.request().query('SELECT n').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(sql.RequestError);
    expect(error).toMatchObject({ code: 'ECONNRESET' });
    await expect(pool.request().query('SELECT n')).resolves.toMatchObject({ recordset: [{ n: 1 }] });
  });
});

describe('lockTableResponder', () => {
  it('answers the heartbeat query from the lock table, with the database time on the peer clock plus its skew', async () => {
    const table = new LockTable(() => Date.parse('2026-11-22T12:00:00.000Z'));
    table.clockSkewMs = -90_000;
    table.set('Default', { owner: 'ADT-PRI01', heartbeatUtc: new Date('2026-11-22T11:58:00.000Z') });
    peer.respond = lockTableResponder(table);
    const pool = await connect();

    const result = await pool.request().input('instance', sql.NVarChar(256), 'DEFAULT').query('SELECT owner, heartbeatUtc, dbNowUtc FROM lock');

    expect(result.recordset).toEqual([
      { owner: 'ADT-PRI01', heartbeatUtc: new Date('2026-11-22T11:58:00.000Z'), dbNowUtc: new Date('2026-11-22T11:58:30.000Z') },
    ]);
  });

  it('returns no row for an instance the table does not hold', async () => {
    peer.respond = lockTableResponder(new LockTable());
    const pool = await connect();

    const result = await pool.request().input('instance', sql.NVarChar(256), 'Other').query('SELECT owner, heartbeatUtc, dbNowUtc FROM lock');

    expect(result.recordset).toEqual([]);
    expect(Object.keys(result.recordset.columns)).toEqual(['owner', 'heartbeatUtc', 'dbNowUtc']);
  });
});
