import { ConnectionPool } from 'mssql';
import type { DatabaseConfig } from '../../config/configSchema';
import { WatchdogError } from '../../domain/errors';
import { silentLogger, type Logger } from '../../ports/logger.port';
import { safeMessage } from './classifySqlError';
import { azureCredentials, describeDatabase, toMssqlConfig, type CredentialFactory, type SqlTimeouts } from './toMssqlConfig';

export interface SqlPoolsOptions extends SqlTimeouts {
  readonly logger?: Logger;
  readonly credentials?: CredentialFactory;
}

/** One database's pool and the work holding it; a retired pool closes once nothing holds it. */
interface PoolEntry {
  readonly key: string;
  readonly pool: ConnectionPool;
  /** Settles once the first connect does; all work on this database awaits the same one. */
  readonly ready: Promise<ConnectionPool>;
  readonly closed: Promise<void>;
  readonly markClosed: () => void;
  holders: number;
  retired: boolean;
}

/**
 * One mssql ConnectionPool per database (server, instance or port, database, login), opened on
 * first use and kept across calls, whichever pair or side names that database.
 */
export class SqlPools {
  /** The pool each database's work gets now. */
  private readonly current = new Map<string, PoolEntry>();
  /** Every pool not yet closed, retired ones included. */
  private readonly open = new Set<PoolEntry>();
  private readonly logger: Logger;
  private closing = false;

  constructor(private readonly options: SqlPoolsOptions) {
    this.logger = options.logger ?? silentLogger;
  }

  /** Runs `work` on the database's pool; whatever it throws (connect errors too) passes through. */
  async use<T>(db: DatabaseConfig, password: string | undefined, work: (pool: ConnectionPool) => Promise<T>): Promise<T> {
    if (this.closing) throw new WatchdogError('SQL_POOLS_CLOSED', 'the SQL connection pools were closed');
    const entry = this.hold(db, password);
    try {
      return await work(await entry.ready);
    } finally {
      entry.holders--;
      if (entry.retired && entry.holders === 0) void this.shut(entry);
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    const entries = [...this.open];
    for (const entry of entries) this.retire(entry);
    await Promise.all(entries.map((entry) => entry.closed));
  }

  /** Concurrent first calls find the entry set synchronously here, so they share one connect. */
  private hold(db: DatabaseConfig, password: string | undefined): PoolEntry {
    const key = poolKey(db);
    const existing = this.current.get(key);
    if (existing) {
      existing.holders++;
      return existing;
    }
    const where = describeDatabase(db);
    const pool = new ConnectionPool(toMssqlConfig(db, password, this.options, this.options.credentials ?? azureCredentials));
    let markClosed = (): void => undefined;
    const closed = new Promise<void>((resolve) => (markClosed = resolve));
    const entry: PoolEntry = {
      key,
      pool,
      // Forget a pool whose connect failed, so the next call tries again from scratch.
      ready: pool.connect().catch((error: unknown) => {
        this.retire(entry);
        throw error;
      }),
      closed,
      markClosed,
      holders: 1,
      retired: false,
    };
    // Without a listener, an 'error' event (tedious emits one when a socket dies mid-request)
    // would crash the whole Functions host. The pool may be in an odd state: start afresh.
    pool.on('error', (error: unknown) => {
      if (entry.retired) return;
      this.logger.warn('SQL connection pool failed; the next read opens a new one', { database: where, error: safeMessage(error, [password]) });
      this.retire(entry);
    });
    this.current.set(key, entry);
    this.open.add(entry);
    return entry;
  }

  /** No new work gets this pool; it closes as soon as the work still holding it is done. */
  private retire(entry: PoolEntry): void {
    if (this.current.get(entry.key) === entry) this.current.delete(entry.key);
    if (entry.retired) return;
    entry.retired = true;
    if (entry.holders === 0) void this.shut(entry);
  }

  private async shut(entry: PoolEntry): Promise<void> {
    // mssql refuses to close a pool that is still connecting.
    await entry.ready.catch(() => undefined);
    await entry.pool.close().catch(() => undefined);
    this.open.delete(entry);
    entry.markClosed();
  }
}

/** Work on the same database as the same principal shares a pool. */
function poolKey(db: DatabaseConfig): string {
  const principal = db.auth.type === 'sql' ? db.auth.user : db.auth.type === 'managed-identity' ? (db.auth.clientId ?? '') : '';
  return JSON.stringify([
    db.server.toLowerCase(),
    db.instanceName?.toLowerCase() ?? '',
    db.instanceName === undefined ? db.port : 0,
    db.database,
    db.auth.type,
    principal,
    db.encrypt,
    db.trustServerCertificate,
  ]);
}
