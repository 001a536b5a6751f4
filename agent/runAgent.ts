import type { Logger } from '../shared/ports/logger.port';
import { composeAgentCore, type AgentCollaborators, type AgentCore } from './composition/composeAgentCore';
import { backupDownloader, createBackupShipper, createDatabaseRestorer, createLocalDatabaseProbe } from './composition/realCollaborators';
import type { AgentConfig } from './config/agentConfig';
import type { BackupShipper } from './backup/backupShipper';
import type { BootStartRun } from './core/bootStart';
import { CommandReceiver } from './transport/commandReceiver';
import { HeartbeatSender } from './transport/heartbeatSender';
import { ReplySender } from './transport/replySender';
import { createAgentServiceBusClient } from './transport/serviceBusClient';

export interface RunAgentOptions {
  readonly log: Logger;
  readonly agentVersion: string;
  /** What touches the host, replaced (the lab's simulated hosts, tests). */
  readonly overrides?: AgentCollaborators['overrides'];
  /**
   * Runs right after the fence check (and the start at boot, when configured), before the first
   * heartbeat: the lab plays the Windows service manager's own start of an Automatic service here.
   */
  readonly afterFenceCheck?: (core: AgentCore) => Promise<void>;
}

export interface RunningAgent {
  readonly config: AgentConfig;
  readonly core: AgentCore;
  readonly heartbeat: HeartbeatSender;
  readonly shipper: BackupShipper | undefined;
  /** The start at boot, when ADTEMPUS_AGENT_START_AT_BOOT is on. */
  readonly bootStart: BootStartRun | undefined;
  /** A clean stop, as on the service's stop signal: the command in hand finishes first. */
  stop(): Promise<void>;
  /** Gone at once, as when the host dies: no further heartbeat, nothing more taken from the queue. */
  crash(reason?: string): Promise<void>;
}

/**
 * The host agent, in order: the fence check (a fenced host stops adTempus before it listens to
 * anyone), the start at boot when configured, then heartbeats, the command receiver and the
 * backup shipper. agent/main.ts runs it as the Windows service; the lab runs one per simulated host.
 */
export async function runAgent(config: AgentConfig, options: RunAgentOptions): Promise<RunningAgent> {
  const { log, agentVersion } = options;
  const shipper = createBackupShipper(config, log);
  const restorer = createDatabaseRestorer(config);
  const databaseProbe = createLocalDatabaseProbe(config);
  const core = await composeAgentCore(config, {
    log,
    agentVersion,
    ...(shipper ? { shipper } : {}),
    ...(restorer ? { restorer, downloader: backupDownloader } : {}),
    ...(databaseProbe ? { databaseProbe } : {}),
    ...(options.overrides ? { overrides: options.overrides } : {}),
  });
  const firstCheck = await core.start();
  const bootStart = config.startAtBoot ? core.startAtBoot(firstCheck) : undefined;
  try {
    await bootStart?.requested;
    await options.afterFenceCheck?.(core);
  } catch (error) {
    bootStart?.cancel();
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
    fields: async () => ({ pairId: config.pairId, host: config.hostName, agentVersion, ...(await core.heartbeatFields()) }),
  });
  heartbeat.start();
  receiver.start();
  shipper?.start();
  log.info('agent started', {
    commandQueue: config.serviceBus.commandQueue,
    serviceControl: config.service.control,
    agentVersion,
    fenced: core.fenceGuard.fenced,
    startAtBoot: config.startAtBoot,
  });

  let ending: Promise<void> | undefined;
  const end = (graceful: boolean, reason = 'host crashed'): Promise<void> =>
    (ending ??= (async () => {
      // The heartbeat goes first: a dying host never reports its service's state afterwards.
      await heartbeat.stop();
      bootStart?.cancel();
      core.stop();
      if (graceful) await receiver.stop();
      await shipper?.stop();
      await replies.close();
      await client.close();
      log.info(graceful ? 'agent stopped' : `agent gone (${reason})`);
    })());
  return { config, core, heartbeat, shipper, bootStart, stop: () => end(true), crash: (reason) => end(false, reason) };
}
