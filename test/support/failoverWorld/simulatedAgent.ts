import { COMMAND_CONTRACT_VERSION, replySchema, type AgentHeartbeat, type AgentReply, type CommandEnvelope } from '../../../shared/contracts/agentCommands';
import type { FenceRecord } from '../../../shared/contracts/fenceRecord';
import type { Logger } from '../../../shared/ports/logger.port';
import type { BackupDownloader, DatabaseRestorer, DownloadRequest, RestoreRequest } from '../../../agent/commands/collaborators.port';
import { composeAgentCore, type AgentCore } from '../../../agent/composition/composeAgentCore';
import { loadAgentConfig } from '../../../agent/config/agentConfig';
import { StaticAdTempusInfo } from '../../../agent/service/adTempusInfo';
import type { SimulatedAdTempus } from './simulatedAdTempus';
import type { WorldScheduler } from './worldScheduler';

/** What an agent needs from its world besides its own host's service. */
export interface AgentEnvironment {
  readonly scheduler: WorldScheduler;
  readonly pairId: string;
  readonly primaryHost: string;
  readonly machineId: string;
  /** The pair's fence record as the agent's blob read would see it; throws while unreadable. */
  readFence(host: string): FenceRecord | undefined;
  /** A reply leaves the agent for the watchdog's inbox queue. */
  sendReply(reply: AgentReply): void;
  sendHeartbeat(heartbeat: AgentHeartbeat): void;
  download(host: string, request: DownloadRequest, alive: () => boolean): Promise<{ readonly path: string }>;
  restore(host: string, request: RestoreRequest, alive: () => boolean): Promise<Readonly<Record<string, unknown>>>;
}

export interface AgentTiming {
  /** How often the agent sends its heartbeat and re-reads the fence record. */
  readonly tickSeconds: number;
  readonly pollMs: number;
  readonly killWaitMs: number;
}

/** A message in the agent's command queue; it stays there (locked) until a delivery settles it. */
interface Queued {
  readonly envelope: CommandEnvelope;
  deliveries: number;
}

/**
 * The host agent, built by the real composition (composeAgentCore) with the host's parts
 * replaced: the SCM is the simulated service, the fence record the world's, waits run on the
 * virtual clock. Its state folder is real (AgentState on disk), so a restarted agent remembers
 * epochs and processed commands exactly as in production.
 *
 * A crash ends the process: its pending calls never return, and the commands it held go back to
 * the queue (Service Bus redelivers a message whose lock expires) for the next process.
 */
export class SimulatedAgent {
  private generation = 0;
  private liveGeneration: number | undefined;
  private core: AgentCore | undefined;
  private sequence = 0;
  private queue: Queued[] = [];
  private readonly inFlight = new Map<number, Set<Queued>>();
  private ticking = false;
  /** Set when the agent's host is gone: it never comes back. */
  hostLost = false;

  constructor(
    readonly service: SimulatedAdTempus,
    private readonly env: AgentEnvironment,
    readonly stateDir: string,
    private readonly timing: AgentTiming,
    private readonly log: Logger,
  ) {}

  get host(): string {
    return this.service.host;
  }

  get alive(): boolean {
    return this.liveGeneration !== undefined;
  }

  get highestEpoch(): number | undefined {
    return this.core?.state.highestEpoch;
  }

  /** Starts a new agent process: fence check first, then the commands waiting in its queue. */
  async boot(): Promise<void> {
    if (this.alive || this.hostLost) return;
    const generation = ++this.generation;
    const alive = (): boolean => this.generation === generation && !this.hostLost;
    const { scheduler } = this.env;
    const gated = async <T>(work: () => Promise<T> | T): Promise<T> => (alive() ? work() : scheduler.park());
    const downloader: BackupDownloader = { downloadAndVerify: (r) => gated(() => this.env.download(this.host, r, alive)) };
    const restorer: DatabaseRestorer = { restoreDatabase: (r) => gated(() => this.env.restore(this.host, r, alive)) };
    const core = await composeAgentCore(agentConfig(this.env, this.host, this.stateDir), {
      log: this.log,
      agentVersion: '0.1.0-world',
      downloader,
      restorer,
      databaseProbe: { check: () => Promise.resolve({ answers: true, detail: 'SELECT 1 answered' }) },
      overrides: {
        control: this.service.control(alive),
        info: new StaticAdTempusInfo({ version: '5.3.1.0', machineId: this.env.machineId }),
        fenceReader: { read: () => gated(() => this.env.readFence(this.host)) },
        diskSpace: () => Promise.resolve({ freeBytes: 500 * 1024 ** 3, totalBytes: 1024 ** 4 }),
        timing: { now: () => scheduler.nowMs(), sleep: (ms) => scheduler.sleep(ms, alive), pollMs: this.timing.pollMs },
        now: () => scheduler.clock.now(),
        killWaitMs: this.timing.killWaitMs,
      },
    });
    if (!alive()) return;
    await core.fenceGuard.startUp();
    if (!alive()) return;
    this.core = core;
    this.liveGeneration = generation;
    this.inFlight.set(generation, new Set());
    for (const queued of this.queue.splice(0)) this.process(queued, generation);
    if (!this.ticking) {
      this.ticking = true;
      scheduler.every(this.timing.tickSeconds * 1000, 0, () => this.tick(), () => !this.hostLost);
    }
  }

  /** The process dies; the service it controls is not touched. */
  crash(): void {
    const generation = this.liveGeneration;
    if (generation === undefined) {
      // Crashing while it boots: that process never takes commands.
      this.generation++;
      return;
    }
    this.liveGeneration = undefined;
    this.generation++;
    this.core = undefined;
    const held = this.inFlight.get(generation) ?? new Set();
    this.inFlight.delete(generation);
    this.queue.push(...held);
  }

  /** The host is gone: the agent with it, for good. */
  loseHost(): void {
    this.crash();
    this.hostLost = true;
  }

  /** A command arrives in this host's queue. */
  enqueue(envelope: CommandEnvelope): void {
    const queued: Queued = { envelope, deliveries: 0 };
    if (this.liveGeneration === undefined) this.queue.push(queued);
    else this.process(queued, this.liveGeneration);
  }

  /** Heartbeat to the watchdog and a fence re-check, as the real agent does periodically. */
  private async tick(): Promise<void> {
    const core = this.core;
    const generation = this.liveGeneration;
    if (core === undefined || generation === undefined) return;
    await core.fenceGuard.checkAndEnforce();
    if (this.liveGeneration !== generation) return;
    const fields = await core.heartbeatFields();
    if (this.liveGeneration !== generation) return;
    this.env.sendHeartbeat({
      contract: COMMAND_CONTRACT_VERSION,
      kind: 'agentHeartbeat',
      pairId: this.env.pairId,
      host: this.host,
      sentAt: this.env.scheduler.clock.now().toISOString(),
      sequence: this.sequence++,
      bootId: `boot-${generation}`,
      agentVersion: '0.1.0-world',
      intervalSeconds: this.timing.tickSeconds,
      ...fields,
    });
  }

  private process(queued: Queued, generation: number): void {
    const core = this.core;
    if (core === undefined) return;
    queued.deliveries++;
    this.inFlight.get(generation)?.add(queued);
    const body = JSON.stringify(queued.envelope);
    this.env.scheduler.spawn(async () => {
      const send = (reply: AgentReply): Promise<void> => {
        if (this.liveGeneration !== generation) return this.env.scheduler.park();
        this.env.sendReply(replySchema.parse(reply));
        return Promise.resolve();
      };
      await core.processor.handle(body, { deliveryCount: queued.deliveries, bodyBytes: Buffer.byteLength(body) }, send);
      this.inFlight.get(generation)?.delete(queued);
    });
  }
}

function agentConfig(env: AgentEnvironment, host: string, stateDir: string): ReturnType<typeof loadAgentConfig> {
  return loadAgentConfig(
    {
      ADTEMPUS_AGENT_PAIR_ID: env.pairId,
      ADTEMPUS_AGENT_HOST_NAME: host,
      ADTEMPUS_AGENT_PRIMARY_HOST: env.primaryHost,
      ADTEMPUS_AGENT_SERVICEBUS_CONNECTION_STRING: 'Endpoint=sb://127.0.0.1:5672/;SharedAccessKeyName=agent;SharedAccessKey=not-used-here;UseDevelopmentEmulator=true',
      ADTEMPUS_AGENT_FENCE_CONNECTION_STRING: 'UseDevelopmentStorage=true',
      ADTEMPUS_AGENT_SERVICE_NAME: 'adTempus',
      ADTEMPUS_AGENT_STATE_DIR: stateDir,
      ADTEMPUS_AGENT_RESTORE_MODE: 'command',
      ADTEMPUS_AGENT_RESTORE_DATABASE: 'adTempus',
      ADTEMPUS_AGENT_RESTORE_DOWNLOAD_DIR: `${stateDir}/downloads`,
      ADTEMPUS_AGENT_RESTORE_COMMAND: 'C:\\Program Files\\Arcana Development\\adTempus\\dbutil.exe',
    },
    { hostName: host },
  );
}
