import type { PairDefinition } from '../domain/pair';
import type { BackupCatalog } from '../ports/backupCatalog.port';
import type { CommandChannel } from '../ports/commandChannel.port';
import type { HeartbeatSource } from '../ports/heartbeatSource.port';
import type { Logger } from '../ports/logger.port';
import type { StateStore } from '../ports/stateStore.port';
import type { ChannelDirectory } from '../services/notificationDispatcher';
import { appServices, type AppServices } from './appServices';
import { invocationLogger, type LogSink } from './logging';

/** What the failover activities need; each activity's factory takes only its part. */
export interface FailoverDeps {
  readonly pairs: readonly PairDefinition[];
  readonly state: StateStore;
  readonly backups: BackupCatalog;
  readonly heartbeats: HeartbeatSource;
  readonly channels: ChannelDirectory;
  /** Created on first use: only sending commands needs Service Bus configured. */
  commands(): CommandChannel;
  /** The queue agents send replies to (WATCHDOG_INBOX_QUEUE). */
  readonly inboxQueue: string;
  /** Base URL of the watchdog's status routes (WATCHDOG_STATUS_URL): messages carry links relative to it. */
  readonly statusBaseUrl?: string;
  readonly clock: () => Date;
  readonly logger: Logger;
}

/** The invocation an activity runs in (an InvocationContext): where its log lines go. */
export interface ActivityInvocation extends LogSink {
  readonly functionName: string;
  readonly invocationId: string;
}

/**
 * The activities' dependencies from the app's composition root, built when an activity runs (not
 * when it is registered), so a test can build an activity over adapters of its own instead.
 */
export function failoverDeps(invocation: ActivityInvocation, services: AppServices = appServices()): FailoverDeps {
  return {
    pairs: services.config.pairs,
    state: services.state,
    backups: services.backups,
    heartbeats: services.heartbeats,
    channels: services.channels,
    commands: () => services.commandChannel(),
    inboxQueue: services.config.inboxQueue,
    ...(services.config.statusBaseUrl !== undefined ? { statusBaseUrl: services.config.statusBaseUrl } : {}),
    clock: () => new Date(),
    logger: invocationLogger(invocation, { function: invocation.functionName, invocationId: invocation.invocationId }),
  };
}
