import type { ServiceState, StartupType } from '../../shared/contracts/agentCommands';
import type { ServiceControlErrorCode } from './serviceControl.port';

/**
 * Parsers for sc.exe's text output. The field names (STATE, START_TYPE, PID) and the numeric
 * codes are fixed by the Win32 API; the words after the codes and the error sentences can be
 * localised, so decisions rest on the numbers only.
 */

/** SERVICE_STATUS.dwCurrentState values. */
const STATE_BY_CODE: Readonly<Record<number, ServiceState>> = {
  1: 'stopped',
  2: 'start-pending',
  3: 'stop-pending',
  4: 'running',
  // CONTINUE_PENDING: on its way back to running.
  5: 'start-pending',
  6: 'paused',
  7: 'paused',
};

/** QUERY_SERVICE_CONFIG.dwStartType values; boot and system starts belong to drivers. */
const STARTUP_BY_CODE: Readonly<Record<number, StartupType>> = { 2: 'automatic', 3: 'manual', 4: 'disabled' };

/** Win32 errors sc.exe reports as "[SC] <Call> FAILED <n>:". */
const REASON_BY_WIN32_ERROR: Readonly<Record<number, ServiceControlErrorCode>> = {
  5: 'ACCESS_DENIED',
  1056: 'ALREADY_RUNNING',
  1058: 'DISABLED',
  1060: 'NOT_INSTALLED',
  1062: 'NOT_STARTED',
};

export interface ScQueryResult {
  readonly state: ServiceState;
  readonly pid?: number;
}

export interface ScFailure {
  readonly win32Error: number;
  readonly reason: ServiceControlErrorCode;
  /** The API call that failed (e.g. OpenService), for the error message. */
  readonly call: string;
}

const FAILED = /\[SC\]\s+(?:[A-Za-z]+:)?([A-Za-z]+)\s+FAILED\s+(\d+):/;

export function parseScFailure(text: string): ScFailure | undefined {
  const match = FAILED.exec(text);
  if (!match) return undefined;
  const win32Error = Number(match[2]);
  return { win32Error, reason: REASON_BY_WIN32_ERROR[win32Error] ?? 'COMMAND_FAILED', call: match[1]! };
}

/** `sc query` / `sc queryex` (and the status block `sc start` and `sc stop` print). */
export function parseScQuery(text: string): ScQueryResult | undefined {
  const state = /^\s*STATE\s*:\s*(\d+)\b/m.exec(text);
  if (!state) return undefined;
  const mapped = STATE_BY_CODE[Number(state[1])];
  if (mapped === undefined) return undefined;
  const pid = /^\s*PID\s*:\s*(\d+)\s*$/m.exec(text);
  const pidValue = pid ? Number(pid[1]) : 0;
  // Windows reports PID 0 for a stopped service.
  return pidValue > 0 ? { state: mapped, pid: pidValue } : { state: mapped };
}

/** `sc qc`: the START_TYPE line. */
export function parseScStartType(text: string): StartupType | undefined {
  const match = /^\s*START_TYPE\s*:\s*(\d+)\b/m.exec(text);
  if (!match) return undefined;
  return STARTUP_BY_CODE[Number(match[1])] ?? 'unknown';
}

/** The `start=` word sc config takes for a startup type. */
export function scStartWord(type: 'automatic' | 'manual' | 'disabled'): string {
  return type === 'automatic' ? 'auto' : type === 'manual' ? 'demand' : 'disabled';
}
