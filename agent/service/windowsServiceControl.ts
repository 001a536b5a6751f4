import type { StartupType } from '../../shared/contracts/agentCommands';
import { execFileRunner, type CommandResult, type CommandRunner } from './commandRunner';
import { parseScFailure, parseScQuery, parseScStartType, scStartWord } from './scOutput';
import {
  isServiceControlError,
  ServiceControlError,
  type ServiceControl,
  type ServiceParameter,
  type ServiceStatus,
  type SettableStartupType,
} from './serviceControl.port';

export interface WindowsTools {
  readonly sc: string;
  readonly taskkill: string;
}

/** Full paths, so a program of the same name earlier on PATH is never run as SYSTEM. */
export function defaultWindowsTools(env: Readonly<Record<string, string | undefined>> = process.env): WindowsTools {
  const root = env['SystemRoot'] ?? 'C:\\Windows';
  return { sc: `${root}\\System32\\sc.exe`, taskkill: `${root}\\System32\\taskkill.exe` };
}

/**
 * The adTempus Windows service through sc.exe and taskkill. Every call is one program run with
 * arguments (no shell); sc.exe's exit code is the Win32 error, its text names the state.
 */
export class WindowsServiceControl implements ServiceControl {
  constructor(
    private readonly serviceName: string,
    private readonly run: CommandRunner = execFileRunner,
    private readonly tools: WindowsTools = defaultWindowsTools(),
  ) {}

  async query(): Promise<ServiceStatus> {
    let status: CommandResult;
    try {
      status = await this.sc(['queryex', this.serviceName], 'query');
    } catch (error) {
      // A state, not a failure: the caller decides what a missing service means.
      if (isServiceControlError(error, 'NOT_INSTALLED')) return { state: 'not-installed', startupType: 'unknown' };
      throw error;
    }
    const parsed = parseScQuery(status.stdout);
    if (!parsed) throw this.unexpected('query', status);
    const startupType = await this.startupType();
    return { ...parsed, startupType };
  }

  async setStartupType(type: SettableStartupType): Promise<void> {
    // sc.exe wants "start=" and its value as two words.
    await this.sc(['config', this.serviceName, 'start=', scStartWord(type)], 'set the startup type of');
  }

  async start(parameters: readonly ServiceParameter[]): Promise<void> {
    await this.sc(['start', this.serviceName, ...parameters], 'start');
  }

  async stop(): Promise<void> {
    await this.sc(['stop', this.serviceName], 'stop');
  }

  async kill(): Promise<void> {
    const status = await this.sc(['queryex', this.serviceName], 'query');
    const pid = parseScQuery(status.stdout)?.pid;
    // No process: nothing left to end.
    if (pid === undefined) return;
    const result = await this.run(this.tools.taskkill, ['/PID', String(pid), '/F']);
    if (result.exitCode !== 0) {
      // 128: the process ended between the query and taskkill, which is what was wanted.
      if (result.exitCode === 128) return;
      throw new ServiceControlError('COMMAND_FAILED', `taskkill could not end process ${pid} of service ${this.serviceName} (exit ${result.exitCode})`, {
        pid,
        exitCode: result.exitCode,
      });
    }
  }

  private async startupType(): Promise<StartupType> {
    const config = await this.sc(['qc', this.serviceName], 'read the configuration of');
    const type = parseScStartType(config.stdout);
    if (type === undefined) throw this.unexpected('qc', config);
    return type;
  }

  private async sc(args: readonly string[], verb: string): Promise<CommandResult> {
    let result: CommandResult;
    try {
      result = await this.run(this.tools.sc, args);
    } catch (error) {
      throw new ServiceControlError('COMMAND_FAILED', `Could not ${verb} service ${this.serviceName}: sc.exe did not run`, {}, { cause: error });
    }
    if (result.exitCode === 0) return result;
    const failure = parseScFailure(`${result.stdout}\n${result.stderr}`);
    if (failure) {
      throw new ServiceControlError(failure.reason, `Could not ${verb} service ${this.serviceName}: ${failure.call} failed with Windows error ${failure.win32Error}`, {
        win32Error: failure.win32Error,
      });
    }
    throw new ServiceControlError('COMMAND_FAILED', `Could not ${verb} service ${this.serviceName}: sc.exe exited with ${result.exitCode}`, {
      exitCode: result.exitCode,
    });
  }

  private unexpected(what: string, result: CommandResult): ServiceControlError {
    return new ServiceControlError('UNEXPECTED_OUTPUT', `sc.exe ${what} for service ${this.serviceName} printed no state this agent understands`, {
      exitCode: result.exitCode,
    });
  }
}
