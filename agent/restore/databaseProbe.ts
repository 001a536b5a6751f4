import sql from 'mssql';
import type { DatabaseProbe } from '../commands/collaborators.port';

/**
 * Answers the status command's "does the local database answer?": a short connection and a
 * `SELECT 1` in the adTempus database. Status is asked rarely, so nothing is kept open. The
 * detail names what failed (the driver's error code), never the login's password.
 */
export function createDatabaseProbe(connection: sql.config, database: string, timeoutMs = 5_000): DatabaseProbe {
  return {
    async check() {
      const pool = new sql.ConnectionPool({ ...connection, database, connectionTimeout: timeoutMs, requestTimeout: timeoutMs, pool: { min: 0, max: 1 } });
      pool.on('error', () => undefined);
      try {
        await pool.connect();
        await pool.request().query('SELECT 1 AS answers');
        return { answers: true, detail: `database ${database} answers` };
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        return { answers: false, detail: `database ${database} does not answer${typeof code === 'string' ? ` (${code})` : ''}` };
      } finally {
        await pool.close().catch(() => undefined);
      }
    },
  };
}
