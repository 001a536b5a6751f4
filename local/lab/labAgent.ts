import { join } from 'node:path';
import { BackupShipper } from '../../agent/backup/backupShipper';
import { composeAgentCore, type AgentCore } from '../../agent/composition/composeAgentCore';
import { backupDownloader, createDatabaseRestorer } from '../../agent/composition/realCollaborators';
import type { AgentConfig } from '../../agent/config/agentConfig';
import { CommandReceiver } from '../../agent/transport/commandReceiver';
import { HeartbeatSender } from '../../agent/transport/heartbeatSender';
import { ReplySender } from '../../agent/transport/replySender';
import { createAgentServiceBusClient } from '../../agent/transport/serviceBusClient';
import { createBlobServiceClient } from '../../shared/adapters/blob/blobServiceClient';
import type { Logger } from '../../shared/ports/logger.port';

export const LAB_AGENT_VERSION = '0.0.0-lab';

/**
 * The lab writes each backup aside and renames it into place, so a file is complete the moment it
 * appears; the shipper's production wait (a minute of unchanged size and time stamp) only slows
 * the lab's clock down. Two scans still see it before it is shipped.
 */
const LAB_SETTLE_MS = 1_000;

/** One host's agent, running in the lab's process. */
export interface LabAgent {
  readonly config: AgentConfig;
  readonly core: AgentCore;
  readonly heartbeat: HeartbeatSender;
  readonly shipper: BackupShipper | undefined;
  /** A clean stop, as on its service's stop signal: the command in hand finishes first. */
  stop(): Promise<void>;
  /** Gone at once, as when its host dies: no further heartbeat, nothing taken from its queue. */
  crash(reason?: string): Promise<void>;
}

/**
 * The host agent as agent/main.ts wires it (the fence check before any command, then heartbeats,
 * the command receiver and the backup shipper), over the same configuration, with the lab's log.
 * `afterFenceCheck` runs right after the fence check, before the first heartbeat.
 */
export async function startLabAgent(config: AgentConfig, log: Logger, afterFenceCheck?: (core: AgentCore) => Promise<void>): Promise<LabAgent> {
  const shipper = labShipper(config, log);
  const restorer = createDatabaseRestorer(config);
  const core = await composeAgentCore(config, {
    log,
    agentVersion: LAB_AGENT_VERSION,
    ...(shipper ? { shipper } : {}),
    ...(restorer ? { restorer, downloader: backupDownloader } : {}),
  });
  // A fenced host stops adTempus before it listens to anyone.
  await core.start();
  // What happens on the host between that check and the agent's first heartbeat (the SCM's own start).
  try {
    await afterFenceCheck?.(core);
  } catch (error) {
    core.stop();
    throw error;
  }

  const client = createAgentServiceBusClient(config.serviceBus.auth);
  const replies = new ReplySender(client, { logger: log });
  const receiver = new CommandReceiver(client, { queueName: config.serviceBus.commandQueue, processor: core.processor, replies, logger: log });
  const heartbeat = new HeartbeatSender(client, {
    intervalMs: config.heartbeatIntervalSeconds * 1000,
    queueName: config.serviceBus.inboxQueue,
    logger: log,
    fields: async () => ({ pairId: config.pairId, host: config.hostName, agentVersion: LAB_AGENT_VERSION, ...(await core.heartbeatFields()) }),
  });
  heartbeat.start();
  receiver.start();
  shipper?.start();
  log.info('agent started', { commandQueue: config.serviceBus.commandQueue, fenced: core.fenceGuard.fenced });

  let ending: Promise<void> | undefined;
  const end = (graceful: boolean, reason = 'host crashed'): Promise<void> =>
    (ending ??= (async () => {
      // The heartbeat goes first: a dying host never reports its service's state afterwards.
      await heartbeat.stop();
      core.stop();
      if (graceful) await receiver.stop();
      await shipper?.stop();
      await replies.close();
      await client.close();
      log.info(graceful ? 'agent stopped' : `agent gone (${reason})`);
    })());
  return { config, core, heartbeat, shipper, stop: () => end(true), crash: (reason) => end(false, reason) };
}

function labShipper(config: AgentConfig, log: Logger): BackupShipper | undefined {
  const backup = config.backup;
  if (backup === undefined) return undefined;
  if (backup.source.kind !== 'connectionString') throw new Error('the lab ships backups to its Azurite through a connection string');
  return new BackupShipper({
    folder: backup.folder,
    pattern: backup.pattern,
    ledgerFile: join(config.stateDir, 'ship-ledger.json'),
    container: createBlobServiceClient({ kind: 'connectionString', connectionString: backup.source.connectionString }).getContainerClient(backup.container),
    pairId: config.pairId,
    prefix: backup.prefix,
    sourceMachine: config.hostName,
    pollIntervalMs: backup.pollIntervalSeconds * 1000,
    settleMs: LAB_SETTLE_MS,
    logger: log,
    // Needed, not decoration: BackupShipper's polling tick calls `onScan?.(await this.shipNow())`,
    // which skips the scan itself when no onScan is given (so polling never ships anything).
    onScan: () => undefined,
  });
}
