import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RegistryAdTempusInfo } from '../../../agent/service/adTempusInfo';
import type { CommandResult, CommandRunner } from '../../../agent/service/commandRunner';
import { parseRegQuery } from '../../../agent/service/regOutput';
import { parseScFailure, parseScQuery, parseScStartType } from '../../../agent/service/scOutput';
import { WindowsServiceControl } from '../../../agent/service/windowsServiceControl';

// Written from Microsoft's documented formats, not captured on a host: see fixtures/README.md.
const fixture = (name: string): string => readFileSync(join(__dirname, 'fixtures', name), 'utf8');
const sc = (name: string): string => fixture(join('sc', name));
const TOOLS = { sc: 'C:\\Windows\\System32\\sc.exe', taskkill: 'C:\\Windows\\System32\\taskkill.exe' };

/** A runner that answers each program + first argument with a scripted result and records every call. */
function scriptedRunner(script: Record<string, CommandResult | CommandResult[]>): CommandRunner & { calls: string[][] } {
  const calls: string[][] = [];
  const runner = async (file: string, args: readonly string[]): Promise<CommandResult> => {
    calls.push([file, ...args]);
    const key = `${file.split('\\').pop()} ${args[0]}`;
    const entry = script[key];
    if (entry === undefined) throw new Error(`unexpected call: ${key}`);
    return Array.isArray(entry) ? (entry.length > 1 ? entry.shift()! : entry[0]!) : entry;
  };
  return Object.assign(runner, { calls });
}
const ok = (stdout: string): CommandResult => ({ exitCode: 0, stdout, stderr: '' });
const failedWith = (exitCode: number, stdout: string): CommandResult => ({ exitCode, stdout, stderr: '' });

describe('sc.exe output parsers', () => {
  it.each([
    ['queryex-running.txt', { state: 'running', pid: 4312 }],
    ['queryex-stopped.txt', { state: 'stopped' }],
    ['queryex-start-pending.txt', { state: 'start-pending', pid: 5120 }],
    ['queryex-stop-pending.txt', { state: 'stop-pending', pid: 4312 }],
    ['queryex-paused.txt', { state: 'paused', pid: 4312 }],
    ['stop-pending.txt', { state: 'stop-pending' }],
  ])('reads state and pid from %s', (file, expected) => {
    expect(parseScQuery(sc(file))).toEqual(expected);
  });

  it.each([
    ['qc-demand.txt', 'manual'],
    ['qc-auto.txt', 'automatic'],
    ['qc-auto-delayed.txt', 'automatic'],
    ['qc-disabled.txt', 'disabled'],
  ])('reads the startup type from %s', (file, expected) => {
    expect(parseScStartType(sc(file))).toBe(expected);
  });

  it.each([
    ['error-1060-queryex.txt', 1060, 'NOT_INSTALLED', 'OpenService'],
    ['error-1060-qc.txt', 1060, 'NOT_INSTALLED', 'OpenService'],
    ['error-1056-start.txt', 1056, 'ALREADY_RUNNING', 'StartService'],
    ['error-1062-stop.txt', 1062, 'NOT_STARTED', 'ControlService'],
    ['error-1058-start.txt', 1058, 'DISABLED', 'StartService'],
    ['error-5-config.txt', 5, 'ACCESS_DENIED', 'OpenService'],
  ])('reads the Win32 error from %s', (file, win32Error, reason, call) => {
    expect(parseScFailure(sc(file))).toEqual({ win32Error, reason, call });
  });

  it('finds no state in output that has none', () => {
    expect(parseScQuery(sc('config-success.txt'))).toBeUndefined();
    expect(parseScFailure(sc('config-success.txt'))).toBeUndefined();
  });
});

describe('WindowsServiceControl', () => {
  it('queries state, pid and startup type with queryex and qc', async () => {
    const run = scriptedRunner({ 'sc.exe queryex': ok(sc('queryex-running.txt')), 'sc.exe qc': ok(sc('qc-demand.txt')) });

    const status = await new WindowsServiceControl('ADTempus', run, TOOLS).query();

    expect(status).toEqual({ state: 'running', pid: 4312, startupType: 'manual' });
    expect(run.calls).toEqual([
      [TOOLS.sc, 'queryex', 'ADTempus'],
      [TOOLS.sc, 'qc', 'ADTempus'],
    ]);
  });

  it('reports a service that does not exist (1060) as not-installed', async () => {
    const run = scriptedRunner({ 'sc.exe queryex': failedWith(1060, sc('error-1060-queryex.txt')) });

    await expect(new WindowsServiceControl('ADTempus', run, TOOLS).query()).resolves.toEqual({ state: 'not-installed', startupType: 'unknown' });
  });

  it.each([
    ['disabled', 'disabled'],
    ['manual', 'demand'],
    ['automatic', 'auto'],
  ] as const)('sets startup type %s as "start= %s", two arguments and no shell', async (type, word) => {
    const run = scriptedRunner({ 'sc.exe config': ok(sc('config-success.txt')) });

    await new WindowsServiceControl('ADTempus$Payroll', run, TOOLS).setStartupType(type);

    expect(run.calls).toEqual([[TOOLS.sc, 'config', 'ADTempus$Payroll', 'start=', word]]);
  });

  it('starts the service with its start parameters as separate arguments', async () => {
    const run = scriptedRunner({ 'sc.exe start': ok(sc('start-pending.txt')) });

    await new WindowsServiceControl('ADTempus', run, TOOLS).start(['-takedbcontrol', '-norun']);

    expect(run.calls).toEqual([[TOOLS.sc, 'start', 'ADTempus', '-takedbcontrol', '-norun']]);
  });

  it.each([
    ['start', 'error-1056-start.txt', 1056, 'ALREADY_RUNNING'],
    ['start', 'error-1058-start.txt', 1058, 'DISABLED'],
    ['stop', 'error-1062-stop.txt', 1062, 'NOT_STARTED'],
    ['config', 'error-5-config.txt', 5, 'ACCESS_DENIED'],
  ] as const)('turns a failed sc %s (%s, Win32 error %i) into a ServiceControlError with reason %s', async (verb, file, exitCode, reason) => {
    const run = scriptedRunner({ [`sc.exe ${verb}`]: failedWith(exitCode, sc(file)) });
    const control = new WindowsServiceControl('ADTempus', run, TOOLS);

    const call = verb === 'start' ? control.start([]) : verb === 'stop' ? control.stop() : control.setStartupType('disabled');

    await expect(call).rejects.toMatchObject({ name: 'ServiceControlError', reason, meta: { win32Error: exitCode } });
  });

  it('refuses output it cannot read rather than guess a state', async () => {
    const run = scriptedRunner({ 'sc.exe queryex': ok('something else entirely\r\n') });

    await expect(new WindowsServiceControl('ADTempus', run, TOOLS).query()).rejects.toMatchObject({ reason: 'UNEXPECTED_OUTPUT' });
  });

  it('kills the process sc queryex names, with taskkill /PID <pid> /F', async () => {
    const run = scriptedRunner({ 'sc.exe queryex': ok(sc('queryex-stop-pending.txt')), 'taskkill.exe /PID': ok('SUCCESS: The process with PID 4312 has been terminated.\r\n') });

    await new WindowsServiceControl('ADTempus', run, TOOLS).kill();

    expect(run.calls[1]).toEqual([TOOLS.taskkill, '/PID', '4312', '/F']);
  });

  it('does not run taskkill when the service has no process left', async () => {
    const run = scriptedRunner({ 'sc.exe queryex': ok(sc('queryex-stopped.txt')) });

    await new WindowsServiceControl('ADTempus', run, TOOLS).kill();

    expect(run.calls).toHaveLength(1);
  });
});

describe('adTempus version and MachineID from the registry', () => {
  const options = { key: 'HKLM\\SOFTWARE\\Arcana Development\\adTempus\\Instances\\Default', machineIdValue: 'MachineID', versionValue: 'Version', regExe: 'reg.exe' };

  it('parses REG_SZ values, names with spaces and empty data from reg query output', () => {
    const values = parseRegQuery(fixture('reg-query-instance.txt'));

    expect(values.get('machineid')).toEqual({ type: 'REG_SZ', data: '0c9e8d7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f' });
    expect(values.get('data path')?.data).toBe('C:\\ProgramData\\Arcana Development\\adTempus\\Instances\\Default\\data');
    expect(values.get('installdate')).toEqual({ type: 'REG_DWORD', data: '0x6553f100' });
    expect(values.get('empty value')).toEqual({ type: 'REG_SZ', data: '' });
  });

  it('reads both values with one reg query of the instance key in the 64-bit view', async () => {
    const run = scriptedRunner({ 'reg.exe query': ok(fixture('reg-query-instance.txt')) });

    const info = await new RegistryAdTempusInfo(options, run).read();

    expect(info).toEqual({ version: '5.3.1.0', machineId: '0c9e8d7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f' });
    expect(run.calls).toEqual([['reg.exe', 'query', options.key, '/reg:64']]);
  });

  it('names the missing key instead of failing the status command', async () => {
    const run = scriptedRunner({ 'reg.exe query': { exitCode: 1, stdout: '', stderr: fixture('reg-query-missing.txt') } });

    const info = await new RegistryAdTempusInfo(options, run).read();

    expect(info).toEqual({ problem: `registry key ${options.key} could not be read (reg.exe exit 1)` });
  });

  it('names a value the key lacks', async () => {
    const run = scriptedRunner({ 'reg.exe query': ok(fixture('reg-query-instance.txt')) });

    const info = await new RegistryAdTempusInfo({ ...options, versionValue: 'ProductVersion' }, run).read();

    expect(info).toMatchObject({ machineId: '0c9e8d7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f', problem: `no REG_SZ value ProductVersion under ${options.key}` });
  });
});
