import { loadAgentConfig } from '../../agent/config/agentConfig';
import { CONFIG_FILE_ENV } from '../../agent/config/agentSettings';
import { ProcessServiceControl, type ProcessExit } from '../../agent/service/processServiceControl';
import { realWaitTiming, waitForState, type ServiceControl, type ServiceParameter, type ServiceStatus } from '../../agent/service/serviceControl.port';
import type { Logger } from '../../shared/ports/logger.port';
import { startLabAgent, type LabAgent } from './labAgent';
import type { LabDatabase } from './labDatabase';

export type LabSide = 'primary' | 'secondary';

export interface LabHostSpec {
  readonly pairId: string;
  readonly side: LabSide;
  readonly hostName: string;
  /** The adTempus database this host's service uses (shared pairs: the same for both hosts). */
  readonly database: LabDatabase;
  /** The agent's configuration file (ADTEMPUS_AGENT_CONFIG), written by the lab. */
  readonly configFile: string;
  /** How adTempus is installed: Automatic on a Primary, Manual on a Secondary. */
  readonly installedStartup: 'automatic' | 'manual';
}

export interface LabHostStatus {
  readonly host: string;
  readonly pairId: string;
  readonly side: LabSide;
  /** `down` after a crash, until the host is brought back. */
  readonly power: 'up' | 'down';
  readonly hung: boolean;
  readonly agent: { readonly fenced: boolean; readonly epochSeen: number; readonly activeHost?: string } | null;
  readonly adTempus: (ServiceStatus & { readonly jobsRun?: boolean }) | null;
}

const OPERATOR_WAIT_MS = 5_000;
const PROCESS_GONE_WAIT_MS = 3_000;

/**
 * One adTempus host of the lab: its real agent (in this process) and the simulated adTempus
 * service that agent controls (a child process). The lab breaks and mends it the ways that
 * matter to the watchdog; every action answers with a sentence saying what happened.
 */
export class LabHost {
  #agent: LabAgent | undefined;
  #installed = false;
  #hung = false;
  #held: { resolve: () => void; reject: (error: Error) => void }[] = [];
  #unlisten: (() => void) | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly spec: LabHostSpec,
    private readonly log: (line: string) => void,
  ) {}

  get hostName(): string {
    return this.spec.hostName;
  }

  /** The running agent; undefined while the host is down. */
  get agent(): LabAgent | undefined {
    return this.#agent;
  }

  get up(): boolean {
    return this.#agent !== undefined;
  }

  get hung(): boolean {
    return this.#hung;
  }

  /** For the lab's database endpoint: resolves once this host's adTempus may be answered. */
  responsive(): Promise<void> {
    if (!this.#hung) return Promise.resolve();
    return new Promise((resolve, reject) => this.#held.push({ resolve, reject }));
  }

  /**
   * Power on: the agent starts and checks the fence before anything else (a fenced host stops and
   * disables adTempus), then the SCM starts adTempus if its startup type is still Automatic.
   */
  boot(): Promise<string> {
    return this.#serial(() => this.#boot());
  }

  /** The host dies: adTempus's process and the agent are gone at the same instant; the lock stays as it was. */
  crash(): Promise<string> {
    return this.#serial(() => this.#powerOff('host crashed'));
  }

  hang(): string {
    if (!this.#agent) return `${this.hostName} is down`;
    this.#hung = true;
    return `adTempus on ${this.hostName} hangs: no heartbeat, backup or lock release until it is started again; its agent still answers`;
  }

  resume(): string {
    if (!this.#hung) return `adTempus on ${this.hostName} is not hung`;
    this.#hung = false;
    for (const held of this.#held.splice(0)) held.resolve();
    return `adTempus on ${this.hostName} answers again`;
  }

  /** An operator stops adTempus outside the agent (services console): SIGTERM, a clean stop that releases the lock. */
  stopService(): Promise<string> {
    return this.#serial(async () => {
      const control = this.#agent?.core.control;
      if (!control) return `${this.hostName} is down`;
      const pid = (await control.query()).pid;
      if (pid === undefined) return `adTempus on ${this.hostName} is not running`;
      killProcess(pid, 'SIGTERM');
      const waited = await waitForState(control, (s) => s.state === 'stopped', { timeoutMs: OPERATOR_WAIT_MS, timing: realWaitTiming(50) });
      return waited.outcome === 'reached'
        ? `adTempus on ${this.hostName} stopped cleanly and released the lock`
        : `adTempus on ${this.hostName} was asked to stop and has not yet (${this.#hung ? 'it hangs' : waited.status.state})`;
    });
  }

  /** An operator starts adTempus through the SCM, with these start parameters. */
  startService(parameters: readonly ServiceParameter[] = []): Promise<string> {
    return this.#serial(() => this.#startService(parameters));
  }

  /** adTempus's process dies on a live host; the agent stays and reports it (restart in place). */
  crashService(): Promise<string> {
    return this.#serial(async () => {
      const control = this.#agent?.core.control;
      if (!control) return `${this.hostName} is down`;
      const pid = (await control.query()).pid;
      if (pid === undefined) return `adTempus on ${this.hostName} is not running`;
      killProcess(pid, 'SIGKILL');
      await processGone(pid);
      return `adTempus on ${this.hostName} crashed; its agent is still up`;
    });
  }

  /** Whatever happened, bring it back: boot a crashed host, resume a hung service, start a stopped one. */
  bringBack(): Promise<string> {
    return this.#serial(async () => {
      if (!this.#agent) return this.#boot();
      if (this.#hung) return this.resume();
      const status = await this.#agent.core.control.query();
      if (status.state !== 'stopped') return `adTempus on ${this.hostName} is ${status.state}`;
      return this.#startService([]);
    });
  }

  async status(): Promise<LabHostStatus> {
    const base = { host: this.hostName, pairId: this.spec.pairId, side: this.spec.side, hung: this.#hung };
    const agent = this.#agent;
    if (!agent) return { ...base, power: 'down', agent: null, adTempus: null };
    const service = await agent.core.control.query();
    const session = this.spec.database.session;
    const mine = session !== undefined && session.host.toLowerCase() === this.hostName.toLowerCase() && service.state === 'running';
    const activeHost = agent.core.state.fence?.activeHost;
    return {
      ...base,
      power: 'up',
      agent: { fenced: agent.core.fenceGuard.fenced, epochSeen: agent.core.state.highestEpoch, ...(activeHost !== undefined ? { activeHost } : {}) },
      adTempus: { ...service, ...(mine ? { jobsRun: !session.noRun } : {}) },
    };
  }

  /** The lab stops: the service process is ended and the agent dropped, quickly. */
  shutdown(): Promise<void> {
    return this.#serial(async () => void (await this.#powerOff('the lab is stopping')));
  }

  /** One action at a time per host: two requests must not boot two agents. */
  #serial<T>(action: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(action);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #boot(): Promise<string> {
    if (this.#agent) return `${this.hostName} is already up`;
    const config = loadAgentConfig({ [CONFIG_FILE_ENV]: this.spec.configFile });
    let done = '';
    // The SCM's start comes after the agent's fence check (as if adTempus depended on the agent
    // service) and before the agent's first heartbeat, which therefore reports the real state.
    this.#agent = await startLabAgent(config, this.#agentLogger(), async (core) => {
      const control = core.control;
      if (control instanceof ProcessServiceControl) this.#unlisten = control.onProcessExit((exit) => this.log(`${this.hostName}: adTempus ended (${describeExit(exit)})`));
      if (!this.#installed) {
        this.#installed = true;
        if (this.spec.installedStartup === 'automatic' && !core.fenceGuard.fenced) await control.setStartupType('automatic');
      }
      const fenced = core.fenceGuard.fenced ? ' (fenced: another host is active)' : '';
      const status = await control.query();
      done =
        status.state !== 'stopped' || status.startupType !== 'automatic'
          ? `${this.hostName} is up${fenced}; adTempus is ${status.state} (startup ${status.startupType})`
          : `${this.hostName} is up${fenced}; ${await this.#startWith(control, [], 'the SCM started adTempus (startup Automatic)')}`;
    });
    return done;
  }

  async #powerOff(reason: string): Promise<string> {
    const agent = this.#agent;
    if (!agent) return `${this.hostName} is already down`;
    this.#agent = undefined;
    const pid = (await agent.core.control.query().catch(() => undefined))?.pid;
    // Its last heartbeat must not report the service's death: a lost host goes silent.
    await agent.heartbeat.stop();
    if (pid !== undefined) killProcess(pid, 'SIGKILL');
    this.#hung = false;
    for (const held of this.#held.splice(0)) held.reject(new Error(`${this.hostName} is down`));
    await agent.crash(reason);
    if (pid !== undefined) await processGone(pid);
    this.#unlisten?.();
    this.#unlisten = undefined;
    return `${this.hostName} crashed: adTempus and its agent are gone; the lock keeps its last heartbeat`;
  }

  #startService(parameters: readonly ServiceParameter[]): Promise<string> {
    const control = this.#agent?.core.control;
    return control ? this.#startWith(control, parameters, 'adTempus started') : Promise.resolve(`${this.hostName} is down`);
  }

  async #startWith(control: ServiceControl, parameters: readonly ServiceParameter[], done: string): Promise<string> {
    try {
      await control.start(parameters);
    } catch (error) {
      return `adTempus on ${this.hostName} could not be started: ${error instanceof Error ? error.message : String(error)}`;
    }
    const waited = await waitForState(control, (s) => s.state !== 'start-pending', { timeoutMs: OPERATOR_WAIT_MS, timing: realWaitTiming(50) });
    if (waited.status.state === 'running') return done;
    const refusal = this.spec.database.lastRefusal;
    const why = refusal && refusal.host.toLowerCase() === this.hostName.toLowerCase() ? `: ${refusal.message}` : '';
    return `adTempus on ${this.hostName} did not start${why}`;
  }

  #agentLogger(): Logger {
    const line =
      (level: string) =>
      (message: string, fields?: Readonly<Record<string, unknown>>): void =>
        this.log(`${this.hostName} agent${level}: ${message}${fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : ''}`);
    return { info: line(''), warn: line(' (warning)'), error: line(' (error)') };
  }
}

function describeExit(exit: ProcessExit): string {
  const how = exit.signal !== null ? `signal ${exit.signal}` : `exit code ${String(exit.code)}`;
  return `${how}${exit.ordered ? ', ordered by its agent' : ''}`;
}

function killProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

async function processGone(pid: number): Promise<void> {
  const until = Date.now() + PROCESS_GONE_WAIT_MS;
  while (Date.now() < until) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
