import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { commandQueueName, WATCHDOG_INBOX_QUEUE } from '../../shared/contracts/agentCommands';
import { ConfigError } from '../../shared/domain/errors';
import { agentConfigInputSchema, computerName, type ParsedAgentConfig } from './agentConfigSchema';
import { CONFIG_FILE_ENV, convert, ENV_PREFIX, envNameOf, SETTINGS } from './agentSettings';

export type Env = Readonly<Record<string, string | undefined>>;

export type ServiceBusAuth =
  | { readonly kind: 'connectionString'; readonly connectionString: string }
  | { readonly kind: 'identity'; readonly fullyQualifiedNamespace: string; readonly clientId?: string };

/** How a blob container is reached: a connection string or a container SAS URL (secrets), or an Entra identity. */
export type StorageSource =
  | { readonly kind: 'connectionString'; readonly connectionString: string }
  | { readonly kind: 'containerSasUrl'; readonly containerSasUrl: string }
  | { readonly kind: 'identity'; readonly blobServiceUri: string; readonly clientId?: string };

type Parsed = ParsedAgentConfig;

export interface AgentConfig {
  readonly hostName: string;
  readonly pairId: string;
  /** The pair's Primary host: active while no fence record exists. */
  readonly primaryHost: string;
  readonly serviceBus: { readonly auth: ServiceBusAuth; readonly inboxQueue: string; readonly commandQueue: string };
  /** Where the pair's fence record is read from: `<container>/pairs/<pairId>/fence.json`. */
  readonly fence: { readonly source: StorageSource; readonly container: string };
  readonly service: {
    readonly name: string;
    readonly control: 'windows' | 'process';
    readonly process?: Parsed['service']['process'];
    readonly registry: { readonly key: string; readonly machineIdValue: string; readonly versionValue: string };
    readonly labInfo: { readonly version?: string; readonly machineId?: string };
  };
  readonly stateDir: string;
  readonly backup?: {
    readonly folder: string;
    readonly pattern: string;
    readonly source: StorageSource;
    readonly container: string;
    readonly prefix: string;
    readonly pollIntervalSeconds: number;
    readonly settleSeconds: number;
  };
  readonly restore?: NonNullable<Parsed['restore']>;
  readonly diskPaths: readonly string[];
  readonly heartbeatIntervalSeconds: number;
  readonly stopTimeoutSeconds: number;
  readonly startTimeoutSeconds: number;
  readonly fenceCheckIntervalSeconds: number;
  readonly killOnFence: boolean;
  readonly startAtBoot: boolean;
}

export interface LoadAgentConfigOptions {
  readonly readTextFile?: (path: string) => string;
  /** os.hostname(), injectable for tests. */
  readonly hostName?: string;
}

const DEFAULT_CONTAINER = 'watchdog-state';
const LAB_SERVICE_NAME = 'adTempus-lab';

/**
 * Reads the agent's configuration once, at start-up: the JSON file named by ADTEMPUS_AGENT_CONFIG
 * (if any), then ADTEMPUS_AGENT_* variables over it. Every problem is collected and reported
 * together; no message repeats a value, and any secret that slipped into one is masked anyway.
 */
export function loadAgentConfig(env: Env, options: LoadAgentConfigOptions = {}): AgentConfig {
  const problems: string[] = [];
  const input = readFileInput(env, options.readTextFile ?? ((p) => readFileSync(p, 'utf8')), problems);

  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || name === CONFIG_FILE_ENV || raw === undefined || raw.trim() === '') continue;
    const setting = SETTINGS.find((candidate) => candidate.env === name);
    if (setting === undefined) {
      problems.push(`${name}: unknown setting (a typo?)`);
      continue;
    }
    setPath(input, setting.path, convert(setting.kind, raw.trim()));
  }

  const parsed = agentConfigInputSchema.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${label(issue.path)}: ${issue.message}`);
  }
  // The rules across fields run on the raw input too, so one start names every problem at once.
  const machineName = options.hostName ?? hostname();
  crossCheck(input, machineName, problems);
  if (!parsed.success || problems.length > 0) throw new ConfigError(masked(problems, env, input));
  return deepFreeze(build(parsed.data, machineName));
}

/** Rules that no single field can state. Works on the unparsed input: only present strings are checked. */
function crossCheck(input: Record<string, unknown>, machineName: string, problems: string[]): void {
  const at = (path: string): unknown =>
    path.split('.').reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), input);
  const str = (path: string): string | undefined => {
    const v = at(path);
    return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
  };

  if (at('hostName') === undefined && !computerName.safeParse(shortName(machineName)).success) {
    problems.push(`hostName (ADTEMPUS_AGENT_HOST_NAME): required, because this computer's name is not a valid computer name`);
  }

  const sbConnection = str('serviceBus.connectionString');
  if ((sbConnection === undefined) === (at('serviceBus.fullyQualifiedNamespace') === undefined)) {
    problems.push(`serviceBus: set exactly one of connectionString (${envNameOf(['serviceBus', 'connectionString'])}) or fullyQualifiedNamespace (${envNameOf(['serviceBus', 'fullyQualifiedNamespace'])})`);
  } else if (sbConnection !== undefined) {
    if (!/(^|;)\s*Endpoint=sb:\/\//i.test(sbConnection)) problems.push(`${label(['serviceBus', 'connectionString'])}: not a Service Bus connection string (Endpoint=sb://...)`);
    if (at('serviceBus.clientId') !== undefined) problems.push(`${label(['serviceBus', 'clientId'])}: only used with fullyQualifiedNamespace`);
  }

  const fenceSources = ['connectionString', 'containerSasUrl', 'blobServiceUri'].filter((k) => at(`fence.${k}`) !== undefined);
  if (fenceSources.length !== 1) {
    problems.push(
      `fence: set exactly one of connectionString (${envNameOf(['fence', 'connectionString'])}), containerSasUrl (${envNameOf(['fence', 'containerSasUrl'])}) or blobServiceUri (${envNameOf(['fence', 'blobServiceUri'])})`,
    );
  }
  const fenceConnection = str('fence.connectionString');
  if (fenceSources.length === 1 && fenceConnection !== undefined && !/AccountName=|UseDevelopmentStorage=true|BlobEndpoint=/i.test(fenceConnection)) {
    problems.push(`${label(['fence', 'connectionString'])}: not a storage connection string`);
  }
  const sasUrl = str('fence.containerSasUrl');
  if (fenceSources.length === 1 && sasUrl !== undefined) {
    const sas = checkContainerSas(sasUrl, 'r');
    if (typeof sas === 'string') problems.push(`${label(['fence', 'containerSasUrl'])}: ${sas}`);
    else if (at('fence.container') !== undefined && at('fence.container') !== sas.container) {
      problems.push(`${label(['fence', 'container'])}: differs from the container the SAS URL names`);
    }
  }
  if (at('fence.clientId') !== undefined && at('fence.blobServiceUri') === undefined) problems.push(`${label(['fence', 'clientId'])}: only used with blobServiceUri`);

  if (at('backup') !== undefined) {
    const backupSources = ['connectionString', 'containerSasUrl', 'blobServiceUri'].filter((k) => at(`backup.${k}`) !== undefined);
    if (backupSources.length > 1) problems.push('backup: set at most one of connectionString, containerSasUrl or blobServiceUri');
    if (backupSources.length === 0 && at('fence.containerSasUrl') !== undefined) {
      problems.push(`backup: needs its own storage (${envNameOf(['backup', 'connectionString'])}, ${envNameOf(['backup', 'containerSasUrl'])} or ${envNameOf(['backup', 'blobServiceUri'])}), because the fence's SAS only reads the state container`);
    }
    const backupConnection = str('backup.connectionString');
    if (backupConnection !== undefined && !/AccountName=|UseDevelopmentStorage=true|BlobEndpoint=/i.test(backupConnection)) {
      problems.push(`${label(['backup', 'connectionString'])}: not a storage connection string`);
    }
    const backupSas = str('backup.containerSasUrl');
    if (backupSas !== undefined) {
      const sas = checkContainerSas(backupSas, 'cw');
      if (typeof sas === 'string') problems.push(`${label(['backup', 'containerSasUrl'])}: ${sas}`);
      else if (at('backup.container') !== undefined && at('backup.container') !== sas.container) problems.push(`${label(['backup', 'container'])}: differs from the container the SAS URL names`);
    } else if (at('backup.container') === undefined) {
      problems.push(`${label(['backup', 'container'])}: required`);
    }
    if (at('backup.clientId') !== undefined && at('backup.blobServiceUri') === undefined) problems.push(`${label(['backup', 'clientId'])}: only used with blobServiceUri`);
  }

  const control = at('service.control') ?? 'windows';
  if (control === 'windows' && at('service.name') === undefined) {
    // adTempus 5 names its service per instance and the name is not documented: no guessing here.
    problems.push(`${label(['service', 'name'])}: required (the adTempus service's name as "sc query" shows it, not its display name)`);
  }
  if (control === 'process' && at('service.process') === undefined) {
    problems.push(`${label(['service', 'process', 'command'])}: required when service.control is "process"`);
  }
  if (control === 'windows' && at('service.process') !== undefined) problems.push(`${label(['service', 'process'])}: only used when service.control is "process"`);
}

function shortName(machineName: string): string {
  // Windows reports the NetBIOS-style computer name adTempus records; a DNS suffix is not part of it.
  return machineName.split('.')[0] ?? '';
}

function build(c: Parsed, machineName: string): AgentConfig {
  const hostName = c.hostName ?? shortName(machineName);
  const sb = c.serviceBus;
  const sbAuth: ServiceBusAuth =
    sb.connectionString !== undefined
      ? { kind: 'connectionString', connectionString: sb.connectionString }
      : { kind: 'identity', fullyQualifiedNamespace: sb.fullyQualifiedNamespace ?? '', ...(sb.clientId !== undefined ? { clientId: sb.clientId } : {}) };
  const service = c.service;
  return {
    hostName,
    pairId: c.pairId,
    primaryHost: c.primaryHost,
    serviceBus: { auth: sbAuth, inboxQueue: sb.inboxQueue ?? WATCHDOG_INBOX_QUEUE, commandQueue: sb.commandQueue ?? commandQueueName(hostName) },
    fence: buildFence(c.fence),
    service: {
      name: service.name ?? LAB_SERVICE_NAME,
      control: service.control,
      ...(service.process !== undefined ? { process: service.process } : {}),
      registry: { key: service.registryKey, machineIdValue: service.machineIdValue, versionValue: service.versionValue },
      labInfo: {
        ...(service.labVersion !== undefined ? { version: service.labVersion } : {}),
        ...(service.labMachineId !== undefined ? { machineId: service.labMachineId } : {}),
      },
    },
    stateDir: c.stateDir,
    ...(c.backup !== undefined ? { backup: buildBackup(c.backup, c.pairId, c.fence) } : {}),
    ...(c.restore !== undefined ? { restore: c.restore } : {}),
    diskPaths: c.diskPaths,
    heartbeatIntervalSeconds: c.heartbeatIntervalSeconds,
    stopTimeoutSeconds: c.stopTimeoutSeconds,
    startTimeoutSeconds: c.startTimeoutSeconds,
    fenceCheckIntervalSeconds: c.fenceCheckIntervalSeconds,
    killOnFence: c.killOnFence,
    startAtBoot: c.startAtBoot,
  };
}

function buildBackup(b: NonNullable<Parsed['backup']>, pairId: string, fence: Parsed['fence']): NonNullable<AgentConfig['backup']> {
  const common = { folder: b.folder, pattern: b.pattern, prefix: b.prefix ?? `${pairId}/`, pollIntervalSeconds: b.pollIntervalSeconds, settleSeconds: b.settleSeconds };
  if (b.containerSasUrl !== undefined) {
    const sas = checkContainerSas(b.containerSasUrl, 'cw');
    return { ...common, source: { kind: 'containerSasUrl', containerSasUrl: b.containerSasUrl }, container: typeof sas === 'string' ? '' : sas.container };
  }
  const container = b.container ?? '';
  if (b.connectionString !== undefined) return { ...common, source: { kind: 'connectionString', connectionString: b.connectionString }, container };
  if (b.blobServiceUri !== undefined) {
    return { ...common, source: { kind: 'identity', blobServiceUri: b.blobServiceUri, ...(b.clientId !== undefined ? { clientId: b.clientId } : {}) }, container };
  }
  // The same account as the fence record (the usual case: one storage account for the watchdog).
  return { ...common, source: buildFence(fence).source, container };
}

function buildFence(f: Parsed['fence']): AgentConfig['fence'] {
  if (f.containerSasUrl !== undefined) {
    const sas = checkContainerSas(f.containerSasUrl, 'r');
    return { source: { kind: 'containerSasUrl', containerSasUrl: f.containerSasUrl }, container: typeof sas === 'string' ? '' : sas.container };
  }
  const container = f.container ?? DEFAULT_CONTAINER;
  if (f.connectionString !== undefined) return { source: { kind: 'connectionString', connectionString: f.connectionString }, container };
  return { source: { kind: 'identity', blobServiceUri: f.blobServiceUri ?? '', ...(f.clientId !== undefined ? { clientId: f.clientId } : {}) }, container };
}

/** The container SAS must grant what the agent does with it and name its container; the message never quotes the URL. */
function checkContainerSas(value: string, permissions: 'r' | 'cw'): { container: string } | string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'not a URL';
  }
  const loopback = /^(127\.0\.0\.1|localhost|\[::1\])$/.test(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) return 'must be https (http only for a local emulator)';
  if (!url.searchParams.has('sig')) return 'has no SAS token (sig=...)';
  const granted = url.searchParams.get('sp') ?? '';
  if (![...permissions].every((p) => granted.includes(p))) return `must grant ${permissions === 'r' ? 'read' : 'create and write'} permission (sp must include ${permissions})`;
  if (url.searchParams.get('sr') !== null && url.searchParams.get('sr') !== 'c') return 'must be a container SAS (sr=c)';
  const container = url.pathname.split('/').filter((p) => p !== '').pop();
  if (container === undefined || !/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(container)) return 'must end with the container name';
  return { container };
}

function readFileInput(env: Env, read: (path: string) => string, problems: string[]): Record<string, unknown> {
  const path = env[CONFIG_FILE_ENV]?.trim();
  if (path === undefined || path === '') return {};
  let textValue: string;
  try {
    textValue = read(path);
  } catch (error) {
    problems.push(`${CONFIG_FILE_ENV}: file ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    return {};
  }
  try {
    const parsed: unknown = JSON.parse(textValue.replace(/^\uFEFF/, ''));
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    problems.push(`${CONFIG_FILE_ENV}: file ${path} must hold a JSON object`);
  } catch (error) {
    // JSON.parse messages can quote the input, which may hold a secret: keep only the position.
    const at = /position \d+/.exec((error as Error).message)?.[0];
    problems.push(`${CONFIG_FILE_ENV}: file ${path} is not valid JSON${at ? ` (at ${at})` : ''}`);
  }
  return {};
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

function label(path: readonly PropertyKey[]): string {
  const key = path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') || '(root)';
  const env = envNameOf(path);
  return env ? `${key} (${env})` : key;
}

/** Belt and braces: the messages above quote no value, and this removes any secret that slips in. */
function masked(problems: readonly string[], env: Env, input: Record<string, unknown>): string[] {
  const secrets = new Set<string>();
  for (const setting of SETTINGS) {
    if (!setting.secret) continue;
    const fromEnv = env[setting.env]?.trim();
    if (fromEnv) secrets.add(fromEnv);
    const fromFile = setting.path.reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), input);
    if (typeof fromFile === 'string' && fromFile.trim() !== '') secrets.add(fromFile.trim());
  }
  return problems.map((p) => [...secrets].reduce((text, secret) => (secret.length >= 4 ? text.split(secret).join('***') : text), p));
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
