import { execFileRunner, type CommandRunner } from './commandRunner';
import { parseRegQuery } from './regOutput';

/**
 * What the status command reports about the installed adTempus: its version and MachineID (the
 * Secondary must carry the Primary's MachineID and the same version, or a failover breaks).
 */
export interface AdTempusInfo {
  readonly version?: string;
  readonly machineId?: string;
  /** Why a value could not be read (no secret: a key path and an exit code at most). */
  readonly problem?: string;
}

export interface AdTempusInfoSource {
  read(): Promise<AdTempusInfo>;
}

export interface RegistryInfoOptions {
  /** e.g. HKLM\SOFTWARE\Arcana Development\adTempus\Instances\Default */
  readonly key: string;
  readonly machineIdValue: string;
  readonly versionValue: string;
  readonly regExe?: string;
}

/** Reads both values from one `reg query` of the instance's key, in the 64-bit view. */
export class RegistryAdTempusInfo implements AdTempusInfoSource {
  constructor(
    private readonly options: RegistryInfoOptions,
    private readonly run: CommandRunner = execFileRunner,
  ) {}

  async read(): Promise<AdTempusInfo> {
    const reg = this.options.regExe ?? `${process.env['SystemRoot'] ?? 'C:\\Windows'}\\System32\\reg.exe`;
    let output: string;
    try {
      // /reg:64: a 32-bit node would otherwise be redirected to WOW6432Node and find nothing.
      const result = await this.run(reg, ['query', this.options.key, '/reg:64']);
      if (result.exitCode !== 0) return { problem: `registry key ${this.options.key} could not be read (reg.exe exit ${result.exitCode})` };
      output = result.stdout;
    } catch {
      return { problem: 'reg.exe could not be run' };
    }
    const values = parseRegQuery(output);
    const text = (name: string): string | undefined => {
      const value = values.get(name.toLowerCase());
      return value && value.type === 'REG_SZ' && value.data !== '' ? value.data : undefined;
    };
    const machineId = text(this.options.machineIdValue);
    const version = text(this.options.versionValue);
    const missing = [machineId === undefined ? this.options.machineIdValue : undefined, version === undefined ? this.options.versionValue : undefined].filter(
      (n): n is string => n !== undefined,
    );
    return {
      ...(version !== undefined ? { version } : {}),
      ...(machineId !== undefined ? { machineId } : {}),
      ...(missing.length > 0 ? { problem: `no REG_SZ value ${missing.join(', ')} under ${this.options.key}` } : {}),
    };
  }
}

/** For the process-based lab service, which has no registry: the values come from configuration. */
export class StaticAdTempusInfo implements AdTempusInfoSource {
  constructor(private readonly info: AdTempusInfo) {}

  read(): Promise<AdTempusInfo> {
    return Promise.resolve(this.info);
  }
}
