import type { LabDatabase } from './labDatabase';
import type { LabHost, LabHostStatus, LabSide } from './labHost';

/** The parts of the lab its state is read from. */
export interface LabParts {
  readonly pairs: readonly { readonly id: string; readonly strategy: 'shared' | 'copied'; readonly primary: HasDatabase; readonly secondary: HasDatabase }[];
  readonly databases: ReadonlyMap<string, LabDatabase>;
  readonly teams: { readonly requests: readonly unknown[] };
  readonly smtp: { readonly messages: readonly unknown[] };
  host(pairId: string, side: LabSide): LabHost;
}

interface HasDatabase {
  readonly database: { readonly database: string };
}

export interface LabDatabaseState {
  readonly name: string;
  /** The lock as the watchdog's heartbeat query would read it. */
  readonly owner: string | null;
  readonly heartbeatAgeSeconds: number | null;
  readonly takeoverDelaySeconds: number;
  /** The watchdog's queries to it hang. */
  readonly cutOff: boolean;
  readonly backups: { readonly taken: number; readonly newest: string | null; readonly paused: boolean };
  readonly lastRefusal?: { readonly host: string; readonly message: string; readonly at: string };
}

export interface LabState {
  readonly pairs: readonly {
    readonly id: string;
    readonly strategy: 'shared' | 'copied';
    readonly primary: LabHostStatus;
    readonly secondary: LabHostStatus;
    readonly databases: readonly LabDatabaseState[];
  }[];
  /** Teams posts and emails the sinks received. */
  readonly notifications: number;
}

/** Pairs, hosts (agent, fence, adTempus), locks with their heartbeat age, backups: GET /lab. */
export async function labState(lab: LabParts): Promise<LabState> {
  const pairs = await Promise.all(
    lab.pairs.map(async (pair) => {
      const names = [...new Set([pair.primary.database.database, pair.secondary.database.database])];
      return {
        id: pair.id,
        strategy: pair.strategy,
        primary: await lab.host(pair.id, 'primary').status(),
        secondary: await lab.host(pair.id, 'secondary').status(),
        databases: names.map((name) => databaseState(lab.databases.get(name)!)),
      };
    }),
  );
  return { pairs, notifications: lab.teams.requests.length + lab.smtp.messages.length };
}

function databaseState(database: LabDatabase): LabDatabaseState {
  const age = database.lock.ageMs();
  return {
    name: database.name,
    owner: database.lock.owner,
    heartbeatAgeSeconds: age === null ? null : Math.round(age / 100) / 10,
    takeoverDelaySeconds: database.lock.takeoverDelayMs / 1000,
    cutOff: database.cut,
    backups: { taken: database.backupsTaken, newest: database.lastBackup?.takenAt ?? null, paused: database.backupsPaused },
    ...(database.lastRefusal ? { lastRefusal: database.lastRefusal } : {}),
  };
}
