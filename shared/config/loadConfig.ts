import { z } from 'zod';
import { ConfigError } from '../domain/errors';
import { pairSchema, type PairConfig } from './configSchema';

export type Env = Readonly<Record<string, string | undefined>>;

export type StorageConfig =
  | { readonly kind: 'connectionString'; readonly connectionString: string }
  | { readonly kind: 'identity'; readonly blobServiceUri: string; readonly clientId?: string };

/** The Service Bus namespace of the agents' queues; the same setting names the Functions host reads for the inbox trigger. */
export type ServiceBusConfig =
  | { readonly kind: 'connectionString'; readonly connectionString: string }
  | { readonly kind: 'identity'; readonly fullyQualifiedNamespace: string; readonly clientId?: string };

export type SmtpTls = 'starttls' | 'implicit' | 'none';

export interface SmtpConfig {
  readonly host: string;
  readonly port: number;
  readonly tls: SmtpTls;
  readonly user?: string;
  readonly password?: string;
  readonly from: string;
}

export interface ResolvedPair extends PairConfig {
  readonly heartbeatQuery: string;
  /** Teams webhook URLs resolved from the named settings. Secret: never log. */
  readonly teamsWebhookUrls: readonly string[];
  /** SQL passwords resolved from the named settings. Secret: never log. */
  readonly secrets: { readonly primaryPassword?: string; readonly secondaryPassword?: string };
}

export interface WatchdogConfig {
  readonly pairs: readonly ResolvedPair[];
  readonly storage: StorageConfig;
  readonly stateContainer: string;
  readonly heartbeatSchedule: string;
  readonly backupSchedule: string;
  readonly maxConcurrency: number;
  readonly sql: { readonly connectTimeoutMs: number; readonly requestTimeoutMs: number };
  readonly statusBaseUrl?: string;
  /** Absent until configured: the agent inbox and commands to agents need it. */
  readonly serviceBus?: ServiceBusConfig;
  /** Queue the agents send heartbeats and replies to. */
  readonly inboxQueue: string;
  /** How often agents send heartbeats; an agent silent for three intervals is not alive. */
  readonly agentHeartbeatIntervalSeconds: number;
  readonly notify: {
    readonly defaultTeamsWebhookUrls: readonly string[];
    readonly defaultEmail: readonly string[];
    readonly smtp?: SmtpConfig;
    readonly teamsTimeoutMs: number;
    readonly teamsMaxAttempts: number;
  };
}

const NCRONTAB = /^\s*(\S+\s+){5}\S+\s*$/;
const QUEUE_NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,258}[A-Za-z0-9])?$/;

/**
 * Reads the whole configuration from app settings, once. Every problem is collected and
 * reported together; no message repeats a setting's value, so no secret can leak through it.
 */
export function loadConfig(env: Env): WatchdogConfig {
  const problems: string[] = [];
  const text = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = text(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name}: must be a whole number from ${min} to ${max}`);
      return fallback;
    }
    return n;
  };
  const schedule = (name: string, fallback: string): string => {
    const raw = text(name) ?? fallback;
    if (!NCRONTAB.test(raw)) problems.push(`${name}: must be a six-field NCRONTAB expression with seconds, e.g. "*/30 * * * * *"`);
    return raw;
  };
  const url = (name: string, value: string | undefined, owner: string): string | undefined => {
    if (value === undefined) return undefined;
    try {
      const parsed = new URL(value);
      if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error('scheme');
      return value;
    } catch {
      problems.push(`${owner}: setting ${name} does not hold an http(s) URL`);
      return undefined;
    }
  };

  const storage = readStorage(env, text, problems);
  const stateContainer = text('WATCHDOG_STATE_CONTAINER') ?? 'watchdog-state';
  if (!/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(stateContainer)) {
    problems.push('WATCHDOG_STATE_CONTAINER: must be a valid blob container name');
  }
  const defaultQuery = text('HEARTBEAT_QUERY');

  const pairs: ResolvedPair[] = [];
  const rawPairs = text('WATCHDOG_PAIRS');
  let parsedPairs: unknown[] = [];
  if (rawPairs === undefined) {
    problems.push('WATCHDOG_PAIRS: required (a JSON array of pairs; see README, "Configuration")');
  } else {
    try {
      const parsed: unknown = JSON.parse(rawPairs);
      if (Array.isArray(parsed) && parsed.length > 0) parsedPairs = parsed;
      else problems.push('WATCHDOG_PAIRS: must be a non-empty JSON array');
    } catch (error) {
      // JSON.parse messages can quote the input; keep only the position.
      const at = /position \d+/.exec((error as Error).message)?.[0];
      problems.push(`WATCHDOG_PAIRS: not valid JSON${at ? ` (at ${at})` : ''}`);
    }
  }
  const seen = new Set<string>();
  parsedPairs.forEach((raw, index) => {
    const where = `WATCHDOG_PAIRS[${index}]`;
    const result = pairSchema.safeParse(raw);
    if (!result.success) {
      for (const issue of result.error.issues) problems.push(`${where}${formatPath(issue.path)}: ${issue.message}`);
      return;
    }
    const pair = result.data;
    if (seen.has(pair.id)) problems.push(`${where}.id: duplicate pair id "${pair.id}"`);
    seen.add(pair.id);
    if (pair.primary.hostName.toLowerCase() === pair.secondary.hostName.toLowerCase()) {
      problems.push(`${where}: primary and secondary must be different hosts`);
    }
    if (pair.strategy === 'copied' && sameDatabase(pair)) {
      problems.push(`${where}: strategy "copied" needs a separate database per side, but both sides name the same one`);
    }
    if (pair.strategy === 'shared' && !sameDatabase(pair)) {
      problems.push(`${where}: strategy "shared" needs both sides to name the same database (server, port, database)`);
    }
    const heartbeatQuery = pair.heartbeatQuery ?? defaultQuery;
    if (heartbeatQuery === undefined) problems.push(`${where}.heartbeatQuery: required when HEARTBEAT_QUERY is not set`);
    const secret = (setting: string, field: string): string | undefined => {
      const v = text(setting);
      if (v === undefined) problems.push(`${where}.${field}: setting ${setting} is not set`);
      return v;
    };
    const secrets: { primaryPassword?: string; secondaryPassword?: string } = {};
    if (pair.primary.database.auth.type === 'sql') {
      secrets.primaryPassword = secret(pair.primary.database.auth.passwordSetting, 'primary.database.auth.passwordSetting');
    }
    if (pair.secondary.database.auth.type === 'sql') {
      secrets.secondaryPassword = secret(pair.secondary.database.auth.passwordSetting, 'secondary.database.auth.passwordSetting');
    }
    const teamsWebhookUrls = pair.notify.teamsWebhookSettings
      .map((s, i) => url(s, secret(s, `notify.teamsWebhookSettings[${i}]`), `${where}.notify.teamsWebhookSettings[${i}]`))
      .filter((u): u is string => u !== undefined);
    pairs.push({ ...pair, heartbeatQuery: heartbeatQuery ?? '', teamsWebhookUrls, secrets });
  });

  const defaultTeams = url('TEAMS_WEBHOOK_URL', text('TEAMS_WEBHOOK_URL'), 'TEAMS_WEBHOOK_URL');
  const defaultEmail = (text('ALERT_EMAIL_TO') ?? '')
    .split(/[;,]/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const address of defaultEmail) {
    if (!z.string().email().safeParse(address).success) problems.push(`ALERT_EMAIL_TO: "${address}" is not an email address`);
  }
  const smtp = readSmtp(text, int, problems);
  const wantsEmail = defaultEmail.length > 0 || pairs.some((p) => p.notify.email.length > 0);
  if (wantsEmail && smtp === undefined) problems.push('SMTP_HOST: required because email recipients are configured');
  const hasChannel = (p: ResolvedPair): boolean =>
    p.notify.teamsWebhookSettings.length + p.notify.email.length + (defaultTeams ? 1 : 0) + defaultEmail.length > 0;
  for (const p of pairs) {
    if (!hasChannel(p)) problems.push(`pair ${p.id}: no notification target (set notify on the pair, or TEAMS_WEBHOOK_URL / ALERT_EMAIL_TO)`);
  }
  const statusBaseUrl = url('WATCHDOG_STATUS_URL', text('WATCHDOG_STATUS_URL'), 'WATCHDOG_STATUS_URL');
  const serviceBus = readServiceBus(text, problems);
  const inboxQueue = text('WATCHDOG_INBOX_QUEUE') ?? 'watchdog-inbox';
  if (!QUEUE_NAME.test(inboxQueue)) problems.push('WATCHDOG_INBOX_QUEUE: must be a Service Bus queue name (letters, digits, ".", "_", "-")');

  const config: WatchdogConfig = {
    pairs,
    storage: storage ?? { kind: 'connectionString', connectionString: '' },
    stateContainer,
    heartbeatSchedule: schedule('HEARTBEAT_SCHEDULE', '*/30 * * * * *'),
    backupSchedule: schedule('BACKUP_SCHEDULE', '0 */5 * * * *'),
    maxConcurrency: int('WATCHDOG_MAX_CONCURRENCY', 16, 1, 256),
    sql: {
      connectTimeoutMs: int('SQL_CONNECT_TIMEOUT_MS', 15_000, 1_000, 120_000),
      requestTimeoutMs: int('SQL_REQUEST_TIMEOUT_MS', 15_000, 1_000, 120_000),
    },
    ...(statusBaseUrl ? { statusBaseUrl: statusBaseUrl.replace(/\/+$/, '') } : {}),
    ...(serviceBus ? { serviceBus } : {}),
    inboxQueue,
    agentHeartbeatIntervalSeconds: int('AGENT_HEARTBEAT_INTERVAL_SECONDS', 5, 1, 300),
    notify: {
      defaultTeamsWebhookUrls: defaultTeams ? [defaultTeams] : [],
      defaultEmail,
      ...(smtp ? { smtp } : {}),
      teamsTimeoutMs: int('TEAMS_TIMEOUT_MS', 10_000, 1_000, 60_000),
      teamsMaxAttempts: int('TEAMS_MAX_ATTEMPTS', 4, 1, 10),
    },
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze(config);
}

function readStorage(env: Env, text: (n: string) => string | undefined, problems: string[]): StorageConfig | undefined {
  const connectionString = text('WatchdogStorage');
  const serviceUri = text('WatchdogStorage__blobServiceUri');
  if (connectionString !== undefined) {
    if (!/AccountName=|UseDevelopmentStorage=true|BlobEndpoint=/i.test(connectionString)) {
      problems.push('WatchdogStorage: not a storage connection string');
    }
    return { kind: 'connectionString', connectionString };
  }
  if (serviceUri !== undefined) {
    if (!/^https?:\/\//.test(serviceUri)) problems.push('WatchdogStorage__blobServiceUri: must be an https URL');
    const clientId = env['WatchdogStorage__clientId']?.trim();
    return { kind: 'identity', blobServiceUri: serviceUri, ...(clientId ? { clientId } : {}) };
  }
  problems.push('WatchdogStorage: required (a connection string, or WatchdogStorage__blobServiceUri for managed identity)');
  return undefined;
}

function readServiceBus(text: (n: string) => string | undefined, problems: string[]): ServiceBusConfig | undefined {
  const connectionString = text('ServiceBusConnection');
  const namespace = text('ServiceBusConnection__fullyQualifiedNamespace');
  if (connectionString !== undefined) {
    if (!/(^|;)\s*Endpoint=sb:\/\/[^;]+/i.test(connectionString)) problems.push('ServiceBusConnection: not a Service Bus connection string (Endpoint=sb://...)');
    return { kind: 'connectionString', connectionString };
  }
  if (namespace === undefined) return undefined;
  if (!/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:\d+)?$/.test(namespace)) {
    problems.push('ServiceBusConnection__fullyQualifiedNamespace: must be a host name such as <namespace>.servicebus.windows.net');
  }
  const clientId = text('ServiceBusConnection__clientId');
  return { kind: 'identity', fullyQualifiedNamespace: namespace, ...(clientId ? { clientId } : {}) };
}

function readSmtp(
  text: (n: string) => string | undefined,
  int: (n: string, f: number, min: number, max: number) => number,
  problems: string[],
): SmtpConfig | undefined {
  const host = text('SMTP_HOST');
  if (host === undefined) return undefined;
  const tlsRaw = text('SMTP_TLS') ?? 'starttls';
  if (tlsRaw !== 'starttls' && tlsRaw !== 'implicit' && tlsRaw !== 'none') {
    problems.push('SMTP_TLS: must be one of starttls, implicit, none');
  }
  const tls = (['starttls', 'implicit', 'none'].includes(tlsRaw) ? tlsRaw : 'starttls') as SmtpTls;
  const port = int('SMTP_PORT', tls === 'implicit' ? 465 : 587, 1, 65535);
  const from = text('ALERT_EMAIL_FROM');
  if (from === undefined) problems.push('ALERT_EMAIL_FROM: required when SMTP_HOST is set');
  else if (!z.string().email().safeParse(from.replace(/^.*<(.+)>\s*$/, '$1')).success) problems.push('ALERT_EMAIL_FROM: not an email address');
  const user = text('SMTP_USER');
  const password = text('SMTP_PASSWORD');
  if (user !== undefined && password === undefined) problems.push('SMTP_PASSWORD: required when SMTP_USER is set');
  if (user !== undefined && tls === 'none' && !/^(localhost|127\.0\.0\.1|::1)$/.test(host)) {
    problems.push('SMTP_TLS: "none" would send the SMTP password in clear text; use starttls or implicit');
  }
  return { host, port, tls, from: from ?? '', ...(user ? { user } : {}), ...(password ? { password } : {}) };
}

function sameDatabase(pair: PairConfig): boolean {
  const a = pair.primary.database;
  const b = pair.secondary.database;
  return a.server.toLowerCase() === b.server.toLowerCase() && a.port === b.port && (a.instanceName ?? '') === (b.instanceName ?? '') && a.database === b.database;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
