import { NVarChar } from 'mssql';
import type { ResolvedPair } from '../../config/loadConfig';
import { WatchdogError } from '../../domain/errors';
import type { HeartbeatReading } from '../../domain/heartbeatReading';
import type { HeartbeatSource, Side } from '../../ports/heartbeatSource.port';
import { classifySqlError } from './classifySqlError';
import { SqlPools, type SqlPoolsOptions } from './sqlPools';
import { toHeartbeatReading } from './toHeartbeatReading';
import { describeDatabase } from './toMssqlConfig';

export type SqlHeartbeatSourceOptions = SqlPoolsOptions;

// Host and instance names are at most 253 characters; one declared length keeps one query plan.
const PARAM_LENGTH = 256;

/**
 * Runs each pair's configured heartbeat query against one side's database. Every expected
 * failure (login, network, timeout, SQL error, result shape) comes back as a value.
 */
export class SqlHeartbeatSource implements HeartbeatSource {
  private readonly pairs: ReadonlyMap<string, ResolvedPair>;
  private readonly pools: SqlPools;

  constructor(pairs: readonly ResolvedPair[], options: SqlHeartbeatSourceOptions) {
    this.pairs = new Map(pairs.map((p) => [p.id, p]));
    this.pools = new SqlPools(options);
  }

  async read(pairId: string, side: Side = 'primary'): Promise<HeartbeatReading> {
    const pair = this.pairs.get(pairId);
    if (pair === undefined) throw new WatchdogError('UNKNOWN_PAIR', `no pair "${pairId}" is configured`, { pairId });
    const db = pair[side].database;
    const password = side === 'primary' ? pair.secrets.primaryPassword : pair.secrets.secondaryPassword;
    try {
      return await this.pools.use(db, password, async (pool) => {
        const result = await pool
          .request()
          .input('instance', NVarChar(PARAM_LENGTH), pair.instanceName)
          .input('primaryHost', NVarChar(PARAM_LENGTH), pair.primary.hostName)
          .input('secondaryHost', NVarChar(PARAM_LENGTH), pair.secondary.hostName)
          .query<Record<string, unknown>>(pair.heartbeatQuery);
        return toHeartbeatReading(result, pair.instanceName);
      });
    } catch (error) {
      if (error instanceof WatchdogError && error.code === 'SQL_POOLS_CLOSED') throw error;
      return classifySqlError(error, describeDatabase(db), [password]);
    }
  }

  close(): Promise<void> {
    return this.pools.close();
  }
}
