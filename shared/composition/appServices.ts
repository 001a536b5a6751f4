import { loadConfig, type Env, type WatchdogConfig } from '../config/loadConfig';
import type { Logger } from '../ports/logger.port';
import type { BackupCatalog } from '../ports/backupCatalog.port';
import type { HeartbeatSource } from '../ports/heartbeatSource.port';
import type { StateStore } from '../ports/stateStore.port';
import type { CommandChannel } from '../ports/commandChannel.port';
import type { InboxDeps } from '../services/agentLiveness';
import { ConfigError } from '../domain/errors';
import type { ChannelDirectory } from '../services/notificationDispatcher';
import type { MonitorDeps } from '../services/heartbeatMonitor';
import { BlobBackupCatalog } from '../adapters/blob/blobBackupCatalog';
import { createBlobServiceClient } from '../adapters/blob/blobServiceClient';
import { BlobStateStore } from '../adapters/blob/blobStateStore';
import { invocationLogger } from '../adapters/logging/invocationLogger';
import { SqlHeartbeatSource } from '../adapters/sql/sqlHeartbeatSource';
import { createCommandChannel } from '../adapters/servicebus/serviceBusCommandChannel';
import { buildChannelDirectory } from './channelDirectory';

/**
 * The composition root: the one place that turns configuration into adapters. Built once per
 * process (pools, clients and transports are reused across executions) and lazily, so a bad
 * configuration surfaces at start-up through `appServices()` with every problem named.
 */
export interface AppServices {
  readonly config: WatchdogConfig;
  readonly heartbeats: HeartbeatSource;
  readonly backups: BackupCatalog;
  readonly state: StateStore;
  readonly channels: ChannelDirectory;
  monitorDeps(logger: Logger): MonitorDeps;
  /** What recording the agents' heartbeats and replies needs. */
  inboxDeps(logger: Logger): InboxDeps;
  /** Commands to the agents; created on first use, and only with ServiceBusConnection configured. */
  commandChannel(): CommandChannel;
  close(): Promise<void>;
}

let current: AppServices | undefined;

export function appServices(env: Env = process.env): AppServices {
  current ??= createAppServices(loadConfig(env));
  return current;
}

/** Closes pools and transports and forgets the instance (tests, local runner shutdown). */
export async function closeAppServices(): Promise<void> {
  const services = current;
  current = undefined;
  await services?.close();
}

export function createAppServices(config: WatchdogConfig): AppServices {
  const processLogger = invocationLogger(console);
  const blob = createBlobServiceClient(config.storage);
  const heartbeats = new SqlHeartbeatSource(config.pairs, { ...config.sql, logger: processLogger });
  const state = new BlobStateStore(blob.getContainerClient(config.stateContainer));
  const backups = new BlobBackupCatalog(blob);
  const channels = buildChannelDirectory(config, processLogger);
  let commands: CommandChannel | undefined;
  const commandChannel = (): CommandChannel => {
    if (!config.serviceBus) throw new ConfigError(['ServiceBusConnection: required to send commands to agents (or ServiceBusConnection__fullyQualifiedNamespace)']);
    commands ??= createCommandChannel(config.serviceBus, { logger: processLogger });
    return commands;
  };
  return {
    config,
    heartbeats,
    backups,
    state,
    channels,
    monitorDeps: (logger) => ({
      pairs: config.pairs,
      state,
      channels,
      clock: () => new Date(),
      logger,
      maxConcurrency: config.maxConcurrency,
      agentHeartbeatIntervalSeconds: config.agentHeartbeatIntervalSeconds,
      // Restart in place: only a pair whose service stopped on its own creates the channel.
      commands: commandChannel,
      inboxQueue: config.inboxQueue,
      ...(config.statusBaseUrl ? { statusBaseUrl: config.statusBaseUrl } : {}),
    }),
    inboxDeps: (logger) => ({ pairs: config.pairs, state, clock: () => new Date(), logger }),
    commandChannel,
    close: async () => {
      await commands?.close();
      channels.close();
      await heartbeats.close();
    },
  };
}
