import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type sql from 'mssql';
import { AgentError } from '../../../agent/agentErrors';
import { RESTORE_SQL, restoreDatabase, type RestoreDatabaseOptions, type RestoreProgress } from '../../../agent/restore/restoreDatabase';
import { DEFAULT_LOGIN, TdsPeer, sessionChatter, type TdsRequest, type TdsResult } from '../../support/tdsPeer';

const DATABASE = 'adTempusPayrollSec';

/** Stands in for adTempus's database utility: echoes its arguments, then behaves as the last one says. */
const UTILITY = `
const fs = require('node:fs');
const args = process.argv.slice(2);
const behaviour = args[args.length - 1];
fs.writeFileSync(require('node:path').join(__dirname, 'utility.pid'), String(process.pid));
console.log('10 percent processed.');
console.log(JSON.stringify(args));
if (behaviour === 'fail') {
  console.error('Restore failed: the backup set is damaged.');
  process.exit(3);
}
if (behaviour === 'hang') setInterval(() => undefined, 1000);
`;

let peer: TdsPeer;
let dir: string;
let file: string;
let utility: string;

beforeAll(async () => {
  peer = await TdsPeer.start();
});

afterAll(async () => {
  await peer.stop();
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'restore db '));
  file = join(dir, "8204683599876_20261122T030000Z_ADT-PAY-PRI; it's & $(x).bak");
  await writeFile(file, 'backup');
  utility = join(dir, 'utility.js');
  await writeFile(utility, UTILITY);
  peer.respond = (request) => sessionChatter(request) ?? { error: { number: 50000, message: 'unexpected request' } };
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function connection(overrides: Partial<sql.config> = {}): sql.config {
  return {
    server: '127.0.0.1',
    port: peer.port,
    database: DATABASE,
    user: DEFAULT_LOGIN.user,
    password: DEFAULT_LOGIN.password,
    options: { encrypt: false, trustServerCertificate: false },
    ...overrides,
  };
}

function answerRestore(fn: (request: TdsRequest) => TdsResult | Promise<TdsResult>): void {
  peer.respond = (request) => sessionChatter(request) ?? (request.sql === RESTORE_SQL ? fn(request) : { error: { number: 50000, message: 'unexpected request' } });
}

function restoreRequests(): TdsRequest[] {
  return peer.requests.filter((r) => r.sql === RESTORE_SQL);
}

const tsql = (overrides: Partial<RestoreDatabaseOptions> = {}): RestoreDatabaseOptions => ({ file, database: DATABASE, mode: 'tsql', connection: connection(), timeoutMs: 10_000, ...overrides });
const command = (behaviour: string, overrides: Partial<RestoreDatabaseOptions> = {}): RestoreDatabaseOptions => ({
  file,
  database: DATABASE,
  mode: 'command',
  command: { exe: process.execPath, args: [utility, '/restore', '/file={file}', '/db:{database}', behaviour] },
  timeoutMs: 10_000,
  ...overrides,
});

async function failure(promise: Promise<unknown>): Promise<AgentError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof AgentError)) throw new Error(`expected an AgentError, got ${String(error)}`);
  return error;
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('restoreDatabase with T-SQL', () => {
  it('runs RESTORE DATABASE from master with the database and the path as parameters, never as SQL text', async () => {
    answerRestore(() => ({ rowsAffected: 0 }));

    const result = await restoreDatabase(tsql());

    expect(result).toMatchObject({ mode: 'tsql', database: DATABASE, file });
    const [restore] = restoreRequests().slice(-1);
    expect(restore).toMatchObject({
      kind: 'rpc',
      sql: 'RESTORE DATABASE @database FROM DISK = @path WITH REPLACE, STATS = 10',
      database: 'master',
      params: { database: { type: 'nvarchar', value: DATABASE }, path: { type: 'nvarchar', value: file } },
    });
  });

  it('fails with RESTORE_FAILED carrying the SQL error number and message when the server refuses', async () => {
    answerRestore(() => ({ error: { number: 3201, message: `Cannot open backup device '${file}'. Operating system error 5(Access is denied.).` } }));

    const error = await failure(restoreDatabase(tsql()));

    expect(error.code).toBe('RESTORE_FAILED');
    expect(error.meta).toMatchObject({ sqlNumber: 3201, sqlMessage: expect.stringContaining('Operating system error 5') });
    expect(error.message).toContain('SQL error 3201');
  });

  it('fails with RESTORE_TIMEOUT when the restore outlasts its time limit', async () => {
    answerRestore(() => new Promise<TdsResult>(() => undefined));

    const error = await failure(restoreDatabase(tsql({ timeoutMs: 300 })));

    expect(error).toMatchObject({ code: 'RESTORE_TIMEOUT', meta: { timeoutMs: 300 } });
  });

  it('cancels the statement and fails with RESTORE_CANCELLED when aborted mid-restore', async () => {
    const abort = new AbortController();
    answerRestore(() => {
      abort.abort();
      return new Promise<TdsResult>(() => undefined);
    });

    const error = await failure(restoreDatabase(tsql({ abortSignal: abort.signal })));

    expect(error.code).toBe('RESTORE_CANCELLED');
  });

  it('fails with SQL_CONNECT_FAILED on a refused login, without the password in the error', async () => {
    const error = await failure(restoreDatabase(tsql({ connection: connection({ password: 'Wrong-Secret-123' }) })));

    expect(error).toMatchObject({ code: 'SQL_CONNECT_FAILED', meta: { sqlCode: 'ELOGIN' } });
    expect(JSON.stringify({ message: error.message, meta: error.meta })).not.toContain('Wrong-Secret-123');
  });

  it.each([
    ['a name with SQL in it', 'adTempus]; DROP DATABASE x; --'],
    ['an empty name', ''],
    ['a name starting with a digit', '1adTempus'],
    ['a name with a space', 'adTempus Payroll'],
    ['a name longer than 128 characters', `a${'b'.repeat(128)}`],
    ['a system database', 'master'],
    ['a system database in capitals', 'TEMPDB'],
  ])('refuses %s before any SQL is sent', async (_case, database) => {
    const logins = peer.loginCount;
    const requests = peer.requests.length;

    const error = await failure(restoreDatabase(tsql({ database })));

    expect(error.code).toBe('INVALID_DATABASE_NAME');
    expect(peer.loginCount).toBe(logins);
    expect(peer.requests).toHaveLength(requests);
  });

  it('refuses a backup file that is not there before any SQL is sent', async () => {
    const logins = peer.loginCount;

    const error = await failure(restoreDatabase(tsql({ file: join(dir, 'missing.bak') })));

    expect(error.code).toBe('BACKUP_FILE_MISSING');
    expect(peer.loginCount).toBe(logins);
  });
});

describe('restoreDatabase with the database utility', () => {
  it('runs the utility with the file and database filled into its arguments, passed as they are without a shell', async () => {
    const progress: RestoreProgress[] = [];

    const result = await restoreDatabase(command('ok', { onProgress: (p) => progress.push(p) }));

    expect(result.mode).toBe('command');
    expect(result.messages).toContain(JSON.stringify(['/restore', `/file=${file}`, `/db:${DATABASE}`, 'ok']));
    expect(progress[0]).toEqual({ message: '10 percent processed.', percent: 10 });
  });

  it('fails with RESTORE_FAILED carrying the exit code and the tail of stderr when the utility fails', async () => {
    const error = await failure(restoreDatabase(command('fail')));

    expect(error).toMatchObject({ code: 'RESTORE_FAILED', meta: { exitCode: 3, stderrTail: 'Restore failed: the backup set is damaged.' } });
  });

  it('stops a utility that outlasts its time limit and fails with RESTORE_TIMEOUT', async () => {
    const error = await failure(restoreDatabase(command('hang', { timeoutMs: 500 })));

    expect(error).toMatchObject({ code: 'RESTORE_TIMEOUT', meta: { timeoutMs: 500 } });
    const pid = Number(await readFile(join(dir, 'utility.pid'), 'utf8'));
    expect(running(pid)).toBe(false);
  });

  it('stops the utility and fails with RESTORE_CANCELLED when aborted mid-restore', async () => {
    const abort = new AbortController();

    const error = await failure(restoreDatabase(command('hang', { abortSignal: abort.signal, onProgress: () => abort.abort() })));

    expect(error.code).toBe('RESTORE_CANCELLED');
    expect(running(Number(await readFile(join(dir, 'utility.pid'), 'utf8')))).toBe(false);
  });

  it('fails with RESTORE_FAILED when the utility cannot be started', async () => {
    const error = await failure(restoreDatabase(command('ok', { command: { exe: join(dir, 'no-such-utility.exe'), args: ['{file}'] } })));

    expect(error).toMatchObject({ code: 'RESTORE_FAILED', meta: { errno: 'ENOENT' } });
  });

  it('refuses an argument template with an unknown placeholder before starting anything', async () => {
    const error = await failure(restoreDatabase(command('ok', { command: { exe: process.execPath, args: [utility, '{password}'] } })));

    expect(error.code).toBe('INVALID_ARGUMENT');
  });
});
