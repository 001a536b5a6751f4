import { z } from 'zod';

/**
 * The command channel between the watchdog and the agent on each adTempus host: both sides
 * build and read messages only through these schemas. Every command carries the pair's epoch
 * (fencing token) and an expiry; the agent refuses expired commands, commands for another
 * host, and commands older than the newest epoch it has seen.
 */

export const COMMAND_CONTRACT_VERSION = 1;
/** Service Bus Standard allows 256 KB per message; commands and replies stay far below. */
export const MAX_MESSAGE_BYTES = 64 * 1024;

const isoTime = z.string().datetime({ offset: true, message: 'must be an ISO 8601 time' });
const hostName = z.string().min(1).max(63).regex(/^[A-Za-z0-9-]+$/, 'must be a computer name');
const pairId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'must be a pair id');
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits');

export const SERVICE_PARAMETERS = ['-takedbcontrol', '-norun'] as const;

export const commandSchema = z.discriminatedUnion('type', [
  /** Service state, startup type, adTempus version, MachineID, free disk, local database answer. */
  z.object({ type: z.literal('status') }).strict(),
  /** Stop adTempus and set its startup to Disabled; confirm it stopped within the bound. */
  z
    .object({
      type: z.literal('stopService'),
      timeoutSeconds: z.number().int().min(1).max(3600),
      /** End the process when it has not stopped within the bound. */
      killAfterTimeout: z.boolean(),
    })
    .strict(),
  /** Set startup to Manual and start with parameters; confirm it runs within the bound. */
  z
    .object({
      type: z.literal('startService'),
      parameters: z.array(z.enum(SERVICE_PARAMETERS)).max(2),
      timeoutSeconds: z.number().int().min(1).max(3600),
    })
    .strict(),
  /** Download a backup through a read-only SAS, verify it, restore it over the local database. */
  z
    .object({
      type: z.literal('restoreDatabase'),
      /** Secret: short-lived, read-only, single-blob SAS. Never logged with its query string. */
      sasUrl: z.string().url().startsWith('http'),
      backupName: z.string().min(1).max(1024),
      sha256,
      sizeBytes: z.number().int().positive(),
      timeoutSeconds: z.number().int().min(1).max(86_400),
    })
    .strict(),
  /** Upload any backup not yet in Blob storage, now. */
  z.object({ type: z.literal('shipBackups') }).strict(),
]);

export type AgentCommand = z.infer<typeof commandSchema>;
export type CommandType = AgentCommand['type'];
export const COMMAND_TYPES: readonly CommandType[] = ['status', 'stopService', 'startService', 'restoreDatabase', 'shipBackups'];

export const commandEnvelopeSchema = z
  .object({
    contract: z.literal(COMMAND_CONTRACT_VERSION),
    messageId: z.string().uuid(),
    pairId,
    targetHost: hostName,
    /** The pair's fencing token when the command was issued. */
    epoch: z.number().int().min(0),
    issuedAt: isoTime,
    /** The agent refuses the command after this time. */
    notAfter: isoTime,
    /** Queue the replies go to. */
    replyTo: z.string().min(1).max(260),
    /** Ties replies to the waiting step (a failover instance and step). */
    correlationId: z.string().min(1).max(128),
    command: commandSchema,
  })
  .strict();

export type CommandEnvelope = z.infer<typeof commandEnvelopeSchema>;

export type ServiceState = 'running' | 'stopped' | 'start-pending' | 'stop-pending' | 'paused' | 'not-installed' | 'unknown';
export type StartupType = 'automatic' | 'manual' | 'disabled' | 'unknown';

export const REPLY_KINDS = ['accepted', 'progress', 'succeeded', 'failed'] as const;
export type ReplyKind = (typeof REPLY_KINDS)[number];

/** Machine-readable reasons an agent gives when a command fails or is refused. */
export const AGENT_ERROR_CODES = [
  'EXPIRED',
  'WRONG_HOST',
  'WRONG_PAIR',
  'STALE_EPOCH',
  'FENCED',
  /** The fence record could not be read, so starts and restores are refused (fail closed); retry. */
  'FENCE_UNAVAILABLE',
  'MALFORMED',
  'UNKNOWN_COMMAND',
  'TOO_LARGE',
  /** The command needs adTempus stopped (a restore under a running service is unsafe). */
  'SERVICE_RUNNING',
  /** This host is not set up for the command (no restore or backup settings). */
  'NOT_CONFIGURED',
  'INSUFFICIENT_DISK',
  'SAS_REJECTED',
  'BLOB_NOT_FOUND',
  'DOWNLOAD_FAILED',
  'CHECKSUM_MISMATCH',
  'SIZE_MISMATCH',
  'RESTORE_FAILED',
  'RESTORE_TIMEOUT',
  'STOP_TIMEOUT',
  'START_TIMEOUT',
  'SERVICE_CONTROL_FAILED',
  'SHIP_FAILED',
  'INTERNAL',
] as const;
export type AgentErrorCode = (typeof AGENT_ERROR_CODES)[number];

export const replySchema = z
  .object({
    contract: z.literal(COMMAND_CONTRACT_VERSION),
    kind: z.enum(REPLY_KINDS),
    /** The command's messageId. */
    inReplyTo: z.string().uuid(),
    correlationId: z.string().min(1).max(128),
    pairId,
    host: hostName,
    /** Highest epoch the agent has seen when replying. */
    epoch: z.number().int().min(0),
    commandType: z.string().min(1).max(64),
    at: isoTime,
    /** Progress: stage and, where known, bytes or percent. */
    progress: z
      .object({ stage: z.string().max(64), percent: z.number().min(0).max(100).optional(), bytes: z.number().int().min(0).optional(), totalBytes: z.number().int().min(0).optional() })
      .strict()
      .optional(),
    /** Command-specific result on success (e.g. the status fields). */
    result: z.record(z.string(), z.unknown()).optional(),
    error: z.object({ code: z.enum(AGENT_ERROR_CODES), message: z.string().max(2000) }).strict().optional(),
    /** True when this reply repeats the stored result of a command already processed. */
    replayed: z.boolean().optional(),
  })
  .strict();

export type AgentReply = z.infer<typeof replySchema>;

/** Sent by every agent every few seconds: the watchdog's fastest signal. */
export const agentHeartbeatSchema = z
  .object({
    contract: z.literal(COMMAND_CONTRACT_VERSION),
    kind: z.literal('agentHeartbeat'),
    pairId,
    host: hostName,
    sentAt: isoTime,
    /** Monotonic per agent process; with `bootId` it orders heartbeats and shows restarts. */
    sequence: z.number().int().min(0),
    bootId: z.string().min(1).max(64),
    agentVersion: z.string().max(32),
    /** The agent's own heartbeat interval: the watchdog judges its silence by it. */
    intervalSeconds: z.number().int().min(1).max(3600).optional(),
    service: z
      .object({
        state: z.enum(['running', 'stopped', 'start-pending', 'stop-pending', 'paused', 'not-installed', 'unknown']),
        startupType: z.enum(['automatic', 'manual', 'disabled', 'unknown']),
        /** Whether the last stop was ordered by a command (true) or happened on its own (false). */
        stopOrdered: z.boolean(),
        since: isoTime.optional(),
      })
      .strict(),
    epochSeen: z.number().int().min(0),
    /** The agent learnt from the fence record that its host is no longer the active side. */
    fenced: z.boolean(),
  })
  .strict();

export type AgentHeartbeat = z.infer<typeof agentHeartbeatSchema>;

/** Messages arriving at the watchdog's inbox queue. */
export const inboxMessageSchema = z.union([replySchema, agentHeartbeatSchema]);
export type InboxMessage = z.infer<typeof inboxMessageSchema>;

/** Service Bus queue that carries commands to one host's agent. */
export function commandQueueName(host: string): string {
  return `agent-${host.toLowerCase()}`;
}

/** The watchdog's inbox: replies and agent heartbeats. */
export const WATCHDOG_INBOX_QUEUE = 'watchdog-inbox';
