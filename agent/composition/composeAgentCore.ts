import { join } from 'node:path';
import type { Logger } from '../../shared/ports/logger.port';
import type { AgentConfig } from '../config/agentConfig';
import type { CommandProcessor } from '../commandProcessor';
import type { BackupDownloader, BackupShipper, DatabaseProbe, DatabaseRestorer, DiskSpaceReader } from '../commands/collaborators.port';
import { createCommandHandlers } from '../commands/createCommandHandlers';
import { statfsDiskSpace } from '../commands/diskSpace';
import { AgentState } from '../core/agentState';
import { CommandDispatcher } from '../core/commandDispatcher';
import { startAtBoot, type BootStartRun } from '../core/bootStart';
import { FenceGuard, type FenceCheck, type HeartbeatFields } from '../core/fenceGuard';
import type { FenceReader } from '../core/fenceReader.port';
import { Mutex } from '../core/mutex';
import { ServiceActivity } from '../core/serviceActivity';
import { createFenceReader } from '../fence/blobFenceReader';
import { RegistryAdTempusInfo, StaticAdTempusInfo, type AdTempusInfoSource } from '../service/adTempusInfo';
import { ProcessServiceControl } from '../service/processServiceControl';
import { realWaitTiming, type ServiceControl, type WaitTiming } from '../service/serviceControl.port';
import { WindowsServiceControl } from '../service/windowsServiceControl';

/** The parts built elsewhere (agent/backup, agent/restore, a database probe), passed in. */
export interface AgentCollaborators {
  readonly log: Logger;
  readonly agentVersion: string;
  readonly shipper?: BackupShipper;
  readonly downloader?: BackupDownloader;
  readonly restorer?: DatabaseRestorer;
  readonly databaseProbe?: DatabaseProbe;
  /** Tests and the lab replace what touches the host. */
  readonly overrides?: {
    readonly control?: ServiceControl;
    readonly info?: AdTempusInfoSource;
    readonly fenceReader?: FenceReader;
    readonly diskSpace?: DiskSpaceReader;
    readonly timing?: WaitTiming;
    readonly now?: () => Date;
    readonly killWaitMs?: number;
  };
}

export interface AgentCore {
  readonly processor: CommandProcessor;
  readonly fenceGuard: FenceGuard;
  readonly control: ServiceControl;
  readonly state: AgentState;
  /** For the heartbeat sender: this host's fields of the agent heartbeat. */
  heartbeatFields(): Promise<HeartbeatFields>;
  /** Fence check and enforcement, then periodic re-checks. Call before taking commands. */
  start(): Promise<FenceCheck>;
  /** Starts adTempus if `first` (start()'s check) or a later check says this host is active; see agent/core/bootStart. */
  startAtBoot(first: FenceCheck): BootStartRun;
  stop(): void;
}

const KILL_WAIT_MS = 30_000;
/** sc.exe costs a process per query: a calmer pace than the lab's child process needs. */
const POLL_MS = { windows: 1_000, process: 100 } as const;

/** Builds the agent's core from its configuration: the one place that picks implementations. */
export async function composeAgentCore(config: AgentConfig, collaborators: AgentCollaborators): Promise<AgentCore> {
  const o = collaborators.overrides ?? {};
  const now = o.now ?? (() => new Date());
  const log = collaborators.log;
  const state = await AgentState.open(config.stateDir, { now });
  const control =
    o.control ??
    (config.service.control === 'windows'
      ? new WindowsServiceControl(config.service.name)
      : new ProcessServiceControl({
          command: config.service.process!.command,
          args: config.service.process!.args,
          stateFile: join(config.stateDir, 'process-service.json'),
          ...(config.service.process!.cwd !== undefined ? { cwd: config.service.process!.cwd } : {}),
          ...(config.service.process!.readyLine !== undefined ? { readyLine: config.service.process!.readyLine } : {}),
        }));
  const info =
    o.info ?? (config.service.control === 'windows' ? new RegistryAdTempusInfo(config.service.registry) : new StaticAdTempusInfo(config.service.labInfo));
  const timing = o.timing ?? realWaitTiming(POLL_MS[config.service.control]);
  const killWaitMs = o.killWaitMs ?? KILL_WAIT_MS;
  const activity = new ServiceActivity(state, now);
  const serviceLock = new Mutex();
  const fenceGuard = new FenceGuard({
    pairId: config.pairId,
    host: config.hostName,
    primaryHost: config.primaryHost,
    reader: o.fenceReader ?? createFenceReader(config.fence),
    state,
    control,
    activity,
    serviceLock,
    log,
    now,
    timing,
    stopTimeoutMs: config.stopTimeoutSeconds * 1000,
    killOnFence: config.killOnFence,
    killWaitMs,
  });
  const diskPaths = [config.stateDir, ...(config.backup ? [config.backup.folder] : []), ...(config.restore ? [config.restore.downloadDir] : []), ...config.diskPaths];
  const diskSpace = o.diskSpace ?? statfsDiskSpace;
  const handlers = createCommandHandlers({
    service: { control, activity, timing, killWaitMs },
    status: {
      info,
      diskPaths,
      diskSpace,
      ...(collaborators.databaseProbe ? { databaseProbe: collaborators.databaseProbe } : {}),
      fence: () => ({ epochSeen: state.highestEpoch, ...(state.fence?.activeHost !== undefined ? { activeHost: state.fence.activeHost } : {}) }),
      agentVersion: collaborators.agentVersion,
    },
    restore: {
      diskSpace,
      ...(config.restore
        ? { settings: { database: config.restore.database, downloadDir: config.restore.downloadDir, freeSpaceFactor: config.restore.freeSpaceFactor } }
        : {}),
      ...(collaborators.downloader ? { downloader: collaborators.downloader } : {}),
      ...(collaborators.restorer ? { restorer: collaborators.restorer } : {}),
    },
    ...(collaborators.shipper ? { shipper: collaborators.shipper } : {}),
  });
  const processor = new CommandDispatcher({ pairId: config.pairId, host: config.hostName, state, fenceGuard, handlers, serviceLock, now, log });

  let stopPeriodic: (() => void) | undefined;
  return {
    processor,
    fenceGuard,
    control,
    state,
    heartbeatFields: () => fenceGuard.currentHeartbeatFields(),
    async start() {
      const check = await fenceGuard.startUp();
      stopPeriodic ??= fenceGuard.runPeriodically(config.fenceCheckIntervalSeconds * 1000);
      return check;
    },
    startAtBoot(first) {
      return startAtBoot(
        {
          pairId: config.pairId,
          host: config.hostName,
          check: () => fenceGuard.check(),
          control,
          activity,
          serviceLock,
          timing,
          startTimeoutMs: config.startTimeoutSeconds * 1000,
          retryIntervalMs: config.fenceCheckIntervalSeconds * 1000,
          log,
        },
        first,
      );
    },
    stop() {
      stopPeriodic?.();
      stopPeriodic = undefined;
    },
  };
}
