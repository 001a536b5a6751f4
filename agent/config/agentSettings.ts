/**
 * Every environment variable the agent reads, the configuration path it sets, and how its text
 * becomes a value. A variable overrides the same key of the JSON file. Secrets are marked so no
 * message can ever repeat them.
 */
export type SettingKind = 'text' | 'int' | 'number' | 'bool' | 'json-list' | 'path-list';

export interface Setting {
  readonly env: string;
  readonly path: readonly string[];
  readonly kind: SettingKind;
  readonly secret?: true;
}

export const ENV_PREFIX = 'ADTEMPUS_AGENT_';
/** Names the JSON file; not a setting itself. */
export const CONFIG_FILE_ENV = 'ADTEMPUS_AGENT_CONFIG';

const s = (name: string, path: string, kind: SettingKind = 'text', secret = false): Setting => ({
  env: `${ENV_PREFIX}${name}`,
  path: path.split('.'),
  kind,
  ...(secret ? { secret: true as const } : {}),
});

export const SETTINGS: readonly Setting[] = [
  s('HOST_NAME', 'hostName'),
  s('PAIR_ID', 'pairId'),
  s('PRIMARY_HOST', 'primaryHost'),
  s('SERVICEBUS_CONNECTION_STRING', 'serviceBus.connectionString', 'text', true),
  s('SERVICEBUS_NAMESPACE', 'serviceBus.fullyQualifiedNamespace'),
  s('SERVICEBUS_CLIENT_ID', 'serviceBus.clientId'),
  s('INBOX_QUEUE', 'serviceBus.inboxQueue'),
  s('COMMAND_QUEUE', 'serviceBus.commandQueue'),
  s('FENCE_CONNECTION_STRING', 'fence.connectionString', 'text', true),
  s('FENCE_CONTAINER_SAS_URL', 'fence.containerSasUrl', 'text', true),
  s('FENCE_BLOB_SERVICE_URI', 'fence.blobServiceUri'),
  s('FENCE_CLIENT_ID', 'fence.clientId'),
  s('FENCE_CONTAINER', 'fence.container'),
  s('SERVICE_NAME', 'service.name'),
  s('SERVICE_CONTROL', 'service.control'),
  s('PROCESS_COMMAND', 'service.process.command'),
  s('PROCESS_ARGS', 'service.process.args', 'json-list'),
  s('PROCESS_READY_LINE', 'service.process.readyLine'),
  s('REGISTRY_KEY', 'service.registryKey'),
  s('STATE_DIR', 'stateDir'),
  s('BACKUP_FOLDER', 'backup.folder'),
  s('BACKUP_PATTERN', 'backup.pattern'),
  s('BACKUP_CONTAINER', 'backup.container'),
  s('BACKUP_PREFIX', 'backup.prefix'),
  s('BACKUP_CONNECTION_STRING', 'backup.connectionString', 'text', true),
  s('BACKUP_CONTAINER_SAS_URL', 'backup.containerSasUrl', 'text', true),
  s('BACKUP_BLOB_SERVICE_URI', 'backup.blobServiceUri'),
  s('BACKUP_CLIENT_ID', 'backup.clientId'),
  s('BACKUP_POLL_SECONDS', 'backup.pollIntervalSeconds', 'int'),
  s('BACKUP_SETTLE_SECONDS', 'backup.settleSeconds', 'int'),
  s('RESTORE_MODE', 'restore.mode'),
  s('RESTORE_DATABASE', 'restore.database'),
  s('RESTORE_DOWNLOAD_DIR', 'restore.downloadDir'),
  s('RESTORE_FREE_SPACE_FACTOR', 'restore.freeSpaceFactor', 'number'),
  s('RESTORE_SQL_SERVER', 'restore.sql.server'),
  s('RESTORE_SQL_INSTANCE', 'restore.sql.instanceName'),
  s('RESTORE_SQL_PORT', 'restore.sql.port', 'int'),
  s('RESTORE_SQL_USER', 'restore.sql.auth.user'),
  s('RESTORE_SQL_PASSWORD', 'restore.sql.auth.password', 'text', true),
  s('RESTORE_SQL_DOMAIN', 'restore.sql.auth.domain'),
  s('RESTORE_SQL_ENCRYPT', 'restore.sql.encrypt', 'bool'),
  s('RESTORE_SQL_TRUST_SERVER_CERTIFICATE', 'restore.sql.trustServerCertificate', 'bool'),
  s('RESTORE_COMMAND', 'restore.command.exe'),
  s('RESTORE_COMMAND_ARGS', 'restore.command.args', 'json-list'),
  s('DISK_PATHS', 'diskPaths', 'path-list'),
  s('HEARTBEAT_SECONDS', 'heartbeatIntervalSeconds', 'int'),
  s('STOP_TIMEOUT_SECONDS', 'stopTimeoutSeconds', 'int'),
  s('START_TIMEOUT_SECONDS', 'startTimeoutSeconds', 'int'),
  s('FENCE_CHECK_SECONDS', 'fenceCheckIntervalSeconds', 'int'),
  s('KILL_ON_FENCE', 'killOnFence', 'bool'),
  s('START_AT_BOOT', 'startAtBoot', 'bool'),
];

/** The variable that sets a path, for messages that name where to fix a value. */
export function envNameOf(path: readonly PropertyKey[]): string | undefined {
  const key = path.map(String).join('.');
  return SETTINGS.find((setting) => setting.path.join('.') === key)?.env;
}

/**
 * Turns a variable's text into the value its kind expects. Text that does not convert is passed
 * on unchanged, so the schema reports it with its rule ("must be a number"), like a file value.
 */
export function convert(kind: SettingKind, raw: string): unknown {
  switch (kind) {
    case 'text':
      return raw;
    case 'int':
    case 'number': {
      const n = Number(raw);
      return raw.trim() !== '' && Number.isFinite(n) ? n : raw;
    }
    case 'bool':
      return /^(true|1|yes)$/i.test(raw) ? true : /^(false|0|no)$/i.test(raw) ? false : raw;
    case 'json-list':
      try {
        return JSON.parse(raw) as unknown;
      } catch {
        return raw;
      }
    case 'path-list':
      return raw
        .split(';')
        .map((p) => p.trim())
        .filter((p) => p !== '');
  }
}
