import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { basename, posix, win32 } from 'node:path';
import { performance } from 'node:perf_hooks';
import sql from 'mssql';
import { safeMessage } from '../../shared/adapters/sql/classifySqlError';
import { AgentError } from '../agentErrors';

export interface RestoreCommand {
  /** The utility's executable (an .exe: without a shell, .cmd and .bat cannot be started). */
  readonly exe: string;
  /** Argument template; `{file}` and `{database}` are replaced in each argument. */
  readonly args: readonly string[];
}

export interface RestoreDatabaseOptions {
  /** Absolute path of the verified backup file. */
  readonly file: string;
  /** Target database: a regular SQL Server identifier, never a system database. */
  readonly database: string;
  /** `tsql`: RESTORE DATABASE over mssql; `command`: adTempus's own database utility. */
  readonly mode: 'tsql' | 'command';
  /** For `tsql`. Its `database` is ignored: the restore runs from master (see restoreDatabase). */
  readonly connection?: sql.config;
  /** For `command`. */
  readonly command?: RestoreCommand;
  /** The whole restore must finish within this time. */
  readonly timeoutMs: number;
  /** RESTORE's STATS messages (every 10 %) or the utility's output lines. */
  readonly onProgress?: (progress: RestoreProgress) => void;
  /** Cancels the statement or stops the utility (the command's own bound, say). */
  readonly abortSignal?: AbortSignal;
}

export interface RestoreProgress {
  readonly message: string;
  readonly percent?: number;
}

export interface RestoredDatabase {
  readonly mode: 'tsql' | 'command';
  readonly database: string;
  readonly file: string;
  readonly elapsedMs: number;
  /** The server's informational messages or the utility's last output lines. */
  readonly messages: readonly string[];
}

/**
 * Constant text: the database name and the path travel as parameters (sp_executesql makes them
 * variables, and RESTORE takes a variable for both: `RESTORE DATABASE { database_name |
 * @database_name_var } FROM DISK = { 'device' | @device_var }`). Nothing the caller sends is
 * ever spliced into SQL, so no quoting rule has to be right for this to be safe; the name is
 * still validated first, to refuse garbage and system databases before touching the server.
 */
export const RESTORE_SQL = 'RESTORE DATABASE @database FROM DISK = @path WITH REPLACE, STATS = 10';

// Regular identifiers (ASCII subset): what adTempus databases are named, and nothing that needs quoting.
const DATABASE_NAME = /^[A-Za-z_][A-Za-z0-9_@$#]{0,127}$/;
const SYSTEM_DATABASES = new Set(['master', 'model', 'msdb', 'tempdb', 'distribution', 'resource']);
// "RESTORE DATABASE is terminating abnormally." follows the error that says why.
const RESTORE_TERMINATING = 3013;
const PERCENT = /(\d{1,3}) percent/i;
const KEPT_LINES = 50;
const STDERR_TAIL = 2_000;
const KILL_GRACE_MS = 5_000;

/**
 * Restores a verified backup over the target database, replacing it.
 *
 * `tsql` connects to master (a session in the target database would itself block the restore)
 * with a request timeout of timeoutMs; adTempus must be stopped first, as its connections hold
 * the database too. On timeout the client cancels the statement, which leaves the database in
 * RESTORING state until a restore completes.
 *
 * Errors (AgentError codes): INVALID_DATABASE_NAME and INVALID_ARGUMENT before anything runs,
 * BACKUP_FILE_MISSING, SQL_CONNECT_FAILED, RESTORE_FAILED (SQL error number and message, or
 * the utility's exit code and the tail of its stderr), RESTORE_TIMEOUT, RESTORE_CANCELLED.
 * The backup file is looked for on this host: with the copied strategy SQL Server Express runs
 * here too.
 */
export async function restoreDatabase(options: RestoreDatabaseOptions): Promise<RestoredDatabase> {
  const started = performance.now();
  const { database, file, mode } = options;
  validateDatabaseName(database);
  if (!Number.isInteger(options.timeoutMs) || options.timeoutMs <= 0) throw new AgentError('INVALID_ARGUMENT', 'timeoutMs must be a whole number > 0');
  if (!(win32.isAbsolute(file) || posix.isAbsolute(file)) || file.includes('\0')) {
    throw new AgentError('INVALID_ARGUMENT', 'The backup file must be given by an absolute path');
  }
  try {
    if (!(await stat(file)).isFile()) throw new Error('not a file');
  } catch {
    throw new AgentError('BACKUP_FILE_MISSING', `There is no backup file at ${file}`, { file });
  }
  if (options.abortSignal?.aborted) throw cancelled(database);
  let messages: string[];
  if (mode === 'tsql') {
    if (options.connection === undefined) throw new AgentError('INVALID_ARGUMENT', 'The tsql mode needs a connection');
    messages = await restoreWithTsql(options.connection, options);
  } else {
    if (options.command === undefined) throw new AgentError('INVALID_ARGUMENT', 'The command mode needs a command');
    messages = await restoreWithCommand(options.command, options);
  }
  return { mode, database, file, elapsedMs: Math.round(performance.now() - started), messages };
}

function validateDatabaseName(name: string): void {
  if (!DATABASE_NAME.test(name)) {
    throw new AgentError('INVALID_DATABASE_NAME', 'The database name must be 1-128 letters, digits, _, @, $ or #, starting with a letter or _', {
      database: name.slice(0, 130),
    });
  }
  if (SYSTEM_DATABASES.has(name.toLowerCase())) throw new AgentError('INVALID_DATABASE_NAME', `${name} is a system database`, { database: name });
}

function cancelled(database: string): AgentError {
  return new AgentError('RESTORE_CANCELLED', `Restoring ${database} was cancelled`);
}

async function restoreWithTsql(connection: sql.config, { database, file, timeoutMs, onProgress, abortSignal }: RestoreDatabaseOptions): Promise<string[]> {
  const secrets = [connection.password];
  const pool = new sql.ConnectionPool({ ...connection, database: 'master', requestTimeout: timeoutMs, pool: { min: 0, max: 1 } });
  // A socket dying mid-restore makes the pool emit 'error'; unheard, it would end the agent.
  pool.on('error', () => undefined);
  const messages: string[] = [];
  try {
    try {
      await pool.connect();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      throw new AgentError('SQL_CONNECT_FAILED', `Cannot connect to SQL Server for the restore: ${safeMessage(error, secrets)}`, typeof code === 'string' ? { sqlCode: code } : {});
    }
    const request = pool.request();
    request.on('info', (info: { message: string }) => {
      remember(messages, info.message);
      onProgress?.(progressOf(info.message));
    });
    // Cancelling sends ATTENTION: SQL Server stops the restore (the database stays RESTORING).
    const cancel = (): void => request.cancel();
    abortSignal?.addEventListener('abort', cancel);
    try {
      if (abortSignal?.aborted) throw cancelled(database);
      await request.input('database', sql.NVarChar(128), database).input('path', sql.NVarChar(4000), file).query(RESTORE_SQL);
    } catch (error) {
      if (abortSignal?.aborted) throw cancelled(database);
      throw restoreError(error, database, timeoutMs, secrets);
    } finally {
      abortSignal?.removeEventListener('abort', cancel);
    }
    return messages;
  } finally {
    await pool.close().catch(() => undefined);
  }
}

function restoreError(error: unknown, database: string, timeoutMs: number, secrets: readonly (string | undefined)[]): AgentError {
  const e = error as { code?: unknown; number?: unknown; precedingErrors?: unknown };
  if (e.code === 'ETIMEOUT') return new AgentError('RESTORE_TIMEOUT', `Restoring ${database} did not finish within ${timeoutMs} ms; the restore was cancelled`, { timeoutMs });
  const all = [...(Array.isArray(e.precedingErrors) ? (e.precedingErrors as unknown[]) : []), error];
  const numbered = all.filter((x): x is { number: number } => typeof (x as { number?: unknown }).number === 'number');
  const cause = numbered.find((x) => x.number !== RESTORE_TERMINATING) ?? numbered[0];
  const text = safeMessage(cause ?? error, secrets);
  return new AgentError('RESTORE_FAILED', `Restoring ${database} failed${cause ? ` with SQL error ${cause.number}` : ''}: ${text}`, {
    ...(cause ? { sqlNumber: cause.number } : {}),
    sqlMessage: text.slice(0, 2_000),
    ...(numbered.length > 1 ? { sqlNumbers: numbered.map((x) => x.number).join(',') } : {}),
  });
}

/**
 * spawn without a shell rather than execFile: execFile buffers all output and kills the child
 * once it passes maxBuffer, which must never happen to a restore half done; here only a bounded
 * tail is kept. No shell, so nothing in the file path or name can become a command.
 */
function restoreWithCommand(command: RestoreCommand, { database, file, timeoutMs, onProgress, abortSignal }: RestoreDatabaseOptions): Promise<string[]> {
  const args = command.args.map((arg) => {
    const unknown = /\{(?!file\}|database\})[^}]*\}/.exec(arg);
    if (unknown) throw new AgentError('INVALID_ARGUMENT', `The restore command's arguments name an unknown placeholder ${unknown[0]}`);
    return arg.replaceAll('{file}', file).replaceAll('{database}', database);
  });
  const utility = basename(command.exe);
  return new Promise((resolve, reject) => {
    const child = spawn(command.exe, args, { shell: false, windowsHide: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const messages: string[] = [];
    let stderr = '';
    let partial = '';
    let stoppedFor: 'timeout' | 'abort' | undefined;
    let killer: NodeJS.Timeout | undefined;
    const stop = (reason: 'timeout' | 'abort'): void => {
      if (stoppedFor !== undefined) return;
      stoppedFor = reason;
      child.kill();
      killer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
    };
    const timer = setTimeout(() => stop('timeout'), timeoutMs);
    const onAbort = (): void => stop('abort');
    abortSignal?.addEventListener('abort', onAbort);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split(/\r?\n/);
      partial = lines.pop() ?? '';
      for (const line of lines.filter((l) => l.trim() !== '')) {
        remember(messages, line);
        onProgress?.(progressOf(line));
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_TAIL);
    });
    child.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      abortSignal?.removeEventListener('abort', onAbort);
      reject(new AgentError('RESTORE_FAILED', `The restore utility ${utility} could not be started: ${error.code ?? error.message}`, error.code ? { errno: error.code } : {}));
    });
    child.once('close', (exitCode, signal) => {
      clearTimeout(timer);
      clearTimeout(killer);
      abortSignal?.removeEventListener('abort', onAbort);
      if (partial.trim() !== '') remember(messages, partial);
      const tail = stderr.trim();
      if (stoppedFor === 'abort') return reject(cancelled(database));
      if (stoppedFor === 'timeout') {
        return reject(new AgentError('RESTORE_TIMEOUT', `The restore utility ${utility} did not finish within ${timeoutMs} ms and was stopped`, { timeoutMs, stderrTail: tail }));
      }
      if (exitCode === 0) return resolve(messages);
      reject(
        new AgentError('RESTORE_FAILED', `The restore utility ${utility} failed (${exitCode !== null ? `exit code ${exitCode}` : `signal ${signal}`})${tail ? `: ${tail}` : ''}`, {
          ...(exitCode !== null ? { exitCode } : { signal: String(signal) }),
          stderrTail: tail,
        }),
      );
    });
  });
}

function remember(messages: string[], line: string): void {
  messages.push(line);
  if (messages.length > KEPT_LINES) messages.shift();
}

function progressOf(message: string): RestoreProgress {
  const percent = PERCENT.exec(message)?.[1];
  return percent !== undefined ? { message, percent: Number(percent) } : { message };
}
