import type { AgentConfigInput } from '../../agent/config/agentConfigSchema';
import { ADTEMPUS_READY_LINE } from './adTempusProcess';
import type { LabSide } from './labHost';
import { LAB_TIMING } from './labSettings';
import type { LabPair } from './labSettings';

export interface LabAgentConfigInput {
  readonly pair: LabPair;
  readonly side: LabSide;
  /** The adTempus database this host's service uses. */
  readonly database: string;
  readonly folders: { readonly state: string; readonly backups: string; readonly downloads: string };
  readonly serviceBus: string;
  /** Azurite's connection string: the fence record and the backups. */
  readonly storage: string;
  readonly stateContainer: string;
  readonly programs: { readonly adTempus: string; readonly restore: string };
  readonly databaseServerUrl: string;
  readonly heartbeatMs: number;
  readonly backupMs: number;
}

/**
 * A lab host's agent configuration, as an operator would write its JSON file
 * (ADTEMPUS_AGENT_CONFIG): adTempus is the simulated service under process control, backups are
 * shipped from the host's folder, and a copied pair's hosts restore with the lab's restore command.
 */
export function labAgentConfig(c: LabAgentConfigInput): AgentConfigInput {
  const hostName = c.pair[c.side].hostName;
  return {
    hostName,
    pairId: c.pair.id,
    primaryHost: c.pair.primary.hostName,
    serviceBus: { connectionString: c.serviceBus },
    fence: { connectionString: c.storage, container: c.stateContainer },
    service: {
      control: 'process',
      process: {
        command: process.execPath,
        args: [
          c.programs.adTempus,
          ...['--lab', c.databaseServerUrl, '--host', hostName, '--database', c.database],
          ...['--heartbeat-ms', String(c.heartbeatMs), '--backup-ms', String(c.backupMs), '--backup-folder', c.folders.backups],
        ],
        readyLine: ADTEMPUS_READY_LINE,
      },
      labVersion: '5.3.1.0',
      labMachineId: c.pair[c.side].machineId,
    },
    stateDir: c.folders.state,
    backup: {
      folder: c.folders.backups,
      pattern: '*.bak',
      container: c.pair.backup.container,
      prefix: c.pair.backup.prefix,
      connectionString: c.storage,
      pollIntervalSeconds: LAB_TIMING.backupPollSeconds,
      settleSeconds: LAB_TIMING.backupSettleSeconds,
    },
    // Copied databases are restored on either side (a failover now, a failback later).
    ...(c.pair.strategy === 'copied'
      ? {
          restore: {
            mode: 'command' as const,
            database: c.database,
            downloadDir: c.folders.downloads,
            command: { exe: process.execPath, args: [c.programs.restore, '--lab', c.databaseServerUrl, '{file}', '{database}'] },
          },
        }
      : {}),
    heartbeatIntervalSeconds: LAB_TIMING.agentHeartbeatSeconds,
    stopTimeoutSeconds: LAB_TIMING.stopTimeoutSeconds,
    startTimeoutSeconds: LAB_TIMING.startTimeoutSeconds,
    fenceCheckIntervalSeconds: LAB_TIMING.fenceCheckSeconds,
    killOnFence: true,
  };
}
