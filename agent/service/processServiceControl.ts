import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { writeFileAtomic } from '../core/atomicFile';
import {
  ServiceControlError,
  type ServiceControl,
  type ServiceParameter,
  type ServiceStatus,
  type SettableStartupType,
} from './serviceControl.port';

export interface ProcessServiceOptions {
  /** The program that plays adTempus (e.g. process.execPath). */
  readonly command: string;
  /** Its arguments; the start parameters are appended after them. */
  readonly args: readonly string[];
  /** Where startup type and pid persist, so they survive a restart of the agent like an SCM entry does. */
  readonly stateFile: string;
  readonly cwd?: string;
  /**
   * A line the program prints on stdout once it has started, like a Windows service reporting
   * SERVICE_RUNNING: until then it is start-pending, and ending before it is a failed start.
   * Without it the process counts as running as soon as it exists.
   */
  readonly readyLine?: string;
}

/** How the last process ended: `ordered` tells a commanded stop from a crash. */
export interface ProcessExit {
  readonly ordered: boolean;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

const persistedSchema = z.object({
  startupType: z.enum(['automatic', 'manual', 'disabled']),
  pid: z.number().int().positive().optional(),
});
type Persisted = z.infer<typeof persistedSchema>;

/**
 * A "service" that is a child process, for the local lab and tests on machines without an SCM.
 * It keeps the SCM's rules that matter to the agent: a Disabled service does not start, a running
 * one does not start twice, stop asks (SIGTERM) and kill ends (SIGKILL), and the process may end
 * on its own. A process left running by an earlier agent is adopted, never started a second time.
 */
export class ProcessServiceControl implements ServiceControl {
  private persisted: Persisted | undefined;
  private child: ChildProcess | undefined;
  private adoptedPid: number | undefined;
  private stopping = false;
  private started = false;
  private exitInfo: ProcessExit | undefined;
  private readonly exitListeners = new Set<(exit: ProcessExit) => void>();

  constructor(private readonly options: ProcessServiceOptions) {}

  async query(): Promise<ServiceStatus> {
    const persisted = await this.load();
    const pid = this.livePid();
    if (pid === undefined) return { state: 'stopped', startupType: persisted.startupType };
    return { state: this.stopping ? 'stop-pending' : this.started ? 'running' : 'start-pending', startupType: persisted.startupType, pid };
  }

  async setStartupType(type: SettableStartupType): Promise<void> {
    const persisted = await this.load();
    await this.save({ ...persisted, startupType: type });
  }

  async start(parameters: readonly ServiceParameter[]): Promise<void> {
    const persisted = await this.load();
    if (persisted.startupType === 'disabled') throw new ServiceControlError('DISABLED', 'The service is disabled and cannot be started');
    if (this.livePid() !== undefined) throw new ServiceControlError('ALREADY_RUNNING', 'An instance of the service is already running');
    const readyLine = this.options.readyLine;
    const child = spawn(this.options.command, [...this.options.args, ...parameters], {
      stdio: ['ignore', readyLine === undefined ? 'ignore' : 'pipe', 'ignore'],
      windowsHide: true,
      ...(this.options.cwd !== undefined ? { cwd: this.options.cwd } : {}),
    });
    // Tracked from the first moment, so an exit right after spawning is never missed.
    this.child = child;
    this.stopping = false;
    this.started = readyLine === undefined;
    this.exitInfo = undefined;
    if (readyLine !== undefined) this.watchForReady(child, readyLine);
    child.once('exit', (code, signal) => this.onExit(child, code, signal));
    // A later 'error' (e.g. a failed signal) must not crash the agent; kill() reports its own failures.
    child.on('error', () => undefined);
    try {
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', () => resolve());
        child.once('error', reject);
      });
    } catch (error) {
      if (this.child === child) this.child = undefined;
      throw new ServiceControlError('COMMAND_FAILED', 'The service process could not be started', {}, { cause: error });
    }
    await this.save({ ...persisted, pid: child.pid! });
  }

  async stop(): Promise<void> {
    await this.load();
    const pid = this.livePid();
    if (pid === undefined) throw new ServiceControlError('NOT_STARTED', 'The service has not been started');
    this.stopping = true;
    this.signal(pid, 'SIGTERM');
  }

  async kill(): Promise<void> {
    await this.load();
    const pid = this.livePid();
    if (pid === undefined) return;
    this.stopping = true;
    this.signal(pid, 'SIGKILL');
  }

  /** How the last process this agent started ended; undefined while it runs or before any ran. */
  lastExit(): ProcessExit | undefined {
    return this.exitInfo;
  }

  /** Tells `listener` each time a started process ends (the lab reports crashes with it). */
  onProcessExit(listener: (exit: ProcessExit) => void): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  private watchForReady(child: ChildProcess, readyLine: string): void {
    let pending = '';
    child.stdout?.setEncoding('utf8');
    // Keeps reading after the line too: a full pipe would block the service.
    child.stdout?.on('data', (chunk: string) => {
      if (this.started || this.child !== child) return;
      const lines = (pending + chunk).split(/\r?\n/);
      pending = lines.pop() ?? '';
      if (lines.some((line) => line.trim() === readyLine)) this.started = true;
    });
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = undefined;
    this.exitInfo = { ordered: this.stopping, code, signal };
    this.stopping = false;
    for (const listener of this.exitListeners) listener(this.exitInfo);
  }

  private livePid(): number | undefined {
    if (this.child !== undefined) return this.child.pid;
    if (this.adoptedPid !== undefined && isAlive(this.adoptedPid)) return this.adoptedPid;
    if (this.adoptedPid !== undefined) {
      this.adoptedPid = undefined;
      this.stopping = false;
    }
    return undefined;
  }

  private signal(pid: number, signal: NodeJS.Signals): void {
    try {
      if (this.child !== undefined) this.child.kill(signal);
      else process.kill(pid, signal);
    } catch (error) {
      // ESRCH: it ended meanwhile, which is what a stop wants.
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') {
        throw new ServiceControlError('COMMAND_FAILED', `The service process could not be signalled (${signal})`, {}, { cause: error });
      }
    }
  }

  private async load(): Promise<Persisted> {
    if (this.persisted) return this.persisted;
    let persisted: Persisted = { startupType: 'manual' };
    try {
      const parsed = persistedSchema.safeParse(JSON.parse(await readFile(this.options.stateFile, 'utf8')));
      if (parsed.success) persisted = parsed.data;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && !(error instanceof SyntaxError)) throw error;
    }
    // A pid is only trusted when that process still runs this service's program (pids are reused).
    if (persisted.pid !== undefined && (await runsCommand(persisted.pid, [this.options.command, ...this.options.args]))) {
      this.adoptedPid = persisted.pid;
      // It ran long before this agent: past any start-up.
      this.started = true;
    }
    this.persisted = persisted;
    return persisted;
  }

  private async save(next: Persisted): Promise<void> {
    this.persisted = next;
    await writeFileAtomic(this.options.stateFile, JSON.stringify(next));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Linux only (/proc); elsewhere a leftover pid is never adopted, because it cannot be checked. */
async function runsCommand(pid: number, commandLine: readonly string[]): Promise<boolean> {
  if (!isAlive(pid)) return false;
  try {
    const actual = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    return commandLine.every((part, i) => actual[i] === part);
  } catch {
    return false;
  }
}
