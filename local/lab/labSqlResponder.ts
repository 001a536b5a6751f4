import { lockTableResponder, sessionChatter, type TdsResponder } from '../../test/support/tdsPeer';
import type { LabDatabase } from './labDatabase';

/** SQL Server's "Cannot open database ... requested by the login". */
const CANNOT_OPEN_DATABASE = 4060;

/**
 * A lab SQL Server's answers: each session's database (from its login) picks the lock table the
 * heartbeat query reads. A database cut off from the watchdog answers nothing at all, not even the
 * session set-up after login, as when the network path to it is gone.
 */
export function labSqlResponder(databases: readonly LabDatabase[]): TdsResponder {
  const byName = new Map(databases.map((d) => [d.name.toLowerCase(), { database: d, respond: lockTableResponder(d.table) }]));
  return async (request) => {
    const entry = byName.get(request.database.toLowerCase());
    if (entry?.database.cut) await entry.database.reachable();
    const chatter = sessionChatter(request);
    if (chatter) return chatter;
    if (!entry) return { error: { number: CANNOT_OPEN_DATABASE, message: `Cannot open database "${request.database}" requested by the login.` } };
    return entry.respond(request);
  };
}
