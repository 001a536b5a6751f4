import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContainerClient } from '@azure/storage-blob';
import { createBlobServiceClient } from '../../../shared/adapters/blob/blobServiceClient';
import { BlobStateStore } from '../../../shared/adapters/blob/blobStateStore';
import {
  COMMAND_CONTRACT_VERSION,
  replySchema,
  type AgentCommand,
  type AgentReply,
  type CommandEnvelope,
} from '../../../shared/contracts/agentCommands';
import { fenceKey, type FenceRecord } from '../../../shared/contracts/fenceRecord';
import type { ProcessOutcome } from '../../../agent/commandProcessor';
import type { BackupDownloader, BackupShipper, DatabaseRestorer, DiskSpaceReader, ShipSummary } from '../../../agent/commands/collaborators.port';
import { composeAgentCore, type AgentCore } from '../../../agent/composition/composeAgentCore';
import { loadAgentConfig, type AgentConfig } from '../../../agent/config/agentConfig';
import { StaticAdTempusInfo } from '../../../agent/service/adTempusInfo';
import { testStorage, type TestStorage } from '../../support/azurite';
import { fakeService, fastTiming, type Behaviour, type FakeService } from '../service/fakeService';

export const PAIR = 'payroll';
export const HOST = 'ADT-PAY-SEC';
export const OTHER_HOST = 'ADT-PAY-PRI';
export const MACHINE_ID = '0c9e8d7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f';
export const T0 = new Date('2026-11-22T02:00:00.000Z');

export interface LogLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields?: Readonly<Record<string, unknown>>;
}

export interface SentReply {
  readonly reply: AgentReply;
  readonly replyTo: string;
}

/** Fakes of the collaborators' shapes that count their calls; a test replaces what it needs. */
export interface Collaborators {
  shipper: BackupShipper & { calls: number };
  downloader: BackupDownloader & { calls: number };
  restorer: DatabaseRestorer & { calls: number };
  diskSpace: DiskSpaceReader;
}

export interface Agent {
  readonly core: AgentCore;
  readonly config: AgentConfig;
  readonly svc: FakeService;
  readonly stateDir: string;
  readonly replies: SentReply[];
  readonly logs: LogLine[];
  readonly collaborators: Collaborators;
  /** The test's clock; set `clock.now` to move it. */
  readonly clock: { now: Date };
  /** Sends one message through the processor as the transport would. */
  deliver(body: unknown, bodyBytes?: number): Promise<ProcessOutcome>;
  /** A new core over the same state folder and service: the agent after a restart. */
  restart(): Promise<Agent>;
  repliesTo(messageId: string): AgentReply[];
}

let storage: TestStorage | undefined;
let containers: ContainerClient[] = [];
const cleanups: (() => Promise<void>)[] = [];

export async function storageForTests(): Promise<string> {
  storage ??= await testStorage();
  return storage.connectionString;
}

/** A fresh state container per test, so fence records never leak between tests. */
export async function fenceContainer(): Promise<{ name: string; writeFence(record: Omit<FenceRecord, 'pairId' | 'updatedAt' | 'reason'>): Promise<void>; writeRaw(text: string): Promise<void> }> {
  const connectionString = await storageForTests();
  const container = createBlobServiceClient({ kind: 'connectionString', connectionString }).getContainerClient(`agent-${randomUUID()}`);
  containers.push(container);
  const store = new BlobStateStore(container);
  return {
    name: container.containerName,
    async writeFence(record) {
      const current = await store.read<FenceRecord>(fenceKey(PAIR));
      const value: FenceRecord = { pairId: PAIR, updatedAt: T0.toISOString(), reason: 'failover', ...record };
      const result = await store.write(fenceKey(PAIR), value, current ? { etag: current.etag } : { absent: true });
      if (!result.ok) throw new Error('fence write conflicted');
    },
    async writeRaw(text) {
      await container.createIfNotExists();
      await container.getBlockBlobClient(`${fenceKey(PAIR)}.json`).upload(text, Buffer.byteLength(text));
    },
  };
}

export interface AgentOptions {
  readonly behaviour?: Behaviour;
  readonly container?: string;
  readonly svc?: FakeService;
  readonly stateDir?: string;
  readonly clock?: { now: Date };
  readonly env?: Readonly<Record<string, string>>;
  /** The pair's Primary; this agent's own host unless a test plays the Secondary. */
  readonly primaryHost?: string;
}

export async function startAgent(options: AgentOptions = {}): Promise<Agent> {
  const connectionString = await storageForTests();
  const container = options.container ?? (await fenceContainer()).name;
  const svc = options.svc ?? (await fakeService(options.behaviour));
  const stateDir = options.stateDir ?? (await mkdtemp(join(tmpdir(), 'agent-state-')));
  if (options.svc === undefined) cleanups.push(() => svc.cleanUp());
  if (options.stateDir === undefined) cleanups.push(() => rm(stateDir, { recursive: true, force: true }));
  const clock = options.clock ?? { now: T0 };
  const config = loadAgentConfig({
    ADTEMPUS_AGENT_PAIR_ID: PAIR,
    ADTEMPUS_AGENT_HOST_NAME: HOST,
    ADTEMPUS_AGENT_PRIMARY_HOST: options.primaryHost ?? HOST,
    ADTEMPUS_AGENT_SERVICEBUS_CONNECTION_STRING: 'Endpoint=sb://127.0.0.1:5672/;SharedAccessKeyName=agent;SharedAccessKey=not-used-here;UseDevelopmentEmulator=true',
    ADTEMPUS_AGENT_FENCE_CONNECTION_STRING: connectionString,
    ADTEMPUS_AGENT_FENCE_CONTAINER: container,
    ADTEMPUS_AGENT_SERVICE_CONTROL: 'process',
    ADTEMPUS_AGENT_PROCESS_COMMAND: svc.options.command,
    ADTEMPUS_AGENT_PROCESS_ARGS: JSON.stringify(svc.options.args),
    ADTEMPUS_AGENT_PROCESS_READY_LINE: 'ready',
    ADTEMPUS_AGENT_STATE_DIR: stateDir,
    ADTEMPUS_AGENT_RESTORE_MODE: 'command',
    ADTEMPUS_AGENT_RESTORE_DATABASE: 'adTempusPayroll',
    ADTEMPUS_AGENT_RESTORE_DOWNLOAD_DIR: join(stateDir, 'downloads'),
    ADTEMPUS_AGENT_RESTORE_COMMAND: 'C:\\Program Files\\Arcana Development\\adTempus\\dbutil.exe',
    ADTEMPUS_AGENT_STOP_TIMEOUT_SECONDS: '10',
    ...options.env,
  });
  const logs: LogLine[] = [];
  const collaborators: Collaborators = {
    shipper: {
      calls: 0,
      async shipNow(): Promise<ShipSummary> {
        collaborators.shipper.calls++;
        return { shipped: [], recovered: [], alreadyShipped: [], pending: [], failed: [] };
      },
    },
    downloader: {
      calls: 0,
      async downloadAndVerify(request) {
        collaborators.downloader.calls++;
        request.onProgress({ bytes: request.sizeBytes, totalBytes: request.sizeBytes });
        return { path: join(request.directory, request.backupName.split('/').pop()!) };
      },
    },
    restorer: {
      calls: 0,
      async restoreDatabase(request) {
        collaborators.restorer.calls++;
        request.onProgress({ percent: 50 });
        request.onProgress({ percent: 100 });
        return { elapsedMs: 1 };
      },
    },
    diskSpace: async () => ({ freeBytes: 500 * 1024 ** 3, totalBytes: 1024 ** 4 }),
  };
  return build(config, svc, stateDir, clock, logs, collaborators);
}

async function build(config: AgentConfig, svc: FakeService, stateDir: string, clock: { now: Date }, logs: LogLine[], collaborators: Collaborators): Promise<Agent> {
  const core = await composeAgentCore(config, {
    log: {
      info: (m, f) => logs.push({ level: 'info', message: m, ...(f ? { fields: f } : {}) }),
      warn: (m, f) => logs.push({ level: 'warn', message: m, ...(f ? { fields: f } : {}) }),
      error: (m, f) => logs.push({ level: 'error', message: m, ...(f ? { fields: f } : {}) }),
    },
    agentVersion: '0.1.0-test',
    // Indirection, so a test can swap a fake after the agent is built.
    shipper: { shipNow: () => collaborators.shipper.shipNow() },
    downloader: { downloadAndVerify: (r) => collaborators.downloader.downloadAndVerify(r) },
    restorer: { restoreDatabase: (r) => collaborators.restorer.restoreDatabase(r) },
    databaseProbe: { check: async () => ({ answers: true, detail: 'SELECT 1 answered' }) },
    overrides: {
      control: svc.control,
      info: new StaticAdTempusInfo({ version: '5.3.1.0', machineId: MACHINE_ID }),
      diskSpace: (path) => collaborators.diskSpace(path),
      timing: fastTiming,
      now: () => clock.now,
      killWaitMs: 5_000,
    },
  });
  const replies: SentReply[] = [];
  const agent: Agent = {
    core,
    config,
    svc,
    stateDir,
    replies,
    logs,
    collaborators,
    clock,
    deliver: (body, bodyBytes) =>
      core.processor.handle(body, { deliveryCount: 1, bodyBytes: bodyBytes ?? Buffer.byteLength(typeof body === 'string' ? body : JSON.stringify(body) ?? '') }, async (reply, replyTo) => {
        // Every reply must pass the contract the watchdog reads it with.
        replies.push({ reply: replySchema.parse(reply), replyTo });
      }),
    restart: async () => {
      core.stop();
      return build(config, svc, stateDir, clock, logs, collaborators);
    },
    repliesTo: (messageId) => replies.filter((r) => r.reply.inReplyTo === messageId).map((r) => r.reply),
  };
  return agent;
}

/** A valid command for this agent; override what the test is about. */
export function envelope(command: AgentCommand, overrides: Partial<CommandEnvelope> = {}): CommandEnvelope {
  return {
    contract: COMMAND_CONTRACT_VERSION,
    messageId: randomUUID(),
    pairId: PAIR,
    targetHost: HOST,
    epoch: 0,
    issuedAt: T0.toISOString(),
    notAfter: new Date(T0.getTime() + 5 * 60_000).toISOString(),
    replyTo: 'watchdog-inbox',
    correlationId: 'failover-payroll-1:step',
    command,
    ...overrides,
  };
}

export const commands = {
  status: (): AgentCommand => ({ type: 'status' }),
  stop: (timeoutSeconds = 10, killAfterTimeout = true): AgentCommand => ({ type: 'stopService', timeoutSeconds, killAfterTimeout }),
  start: (parameters: ('-takedbcontrol' | '-norun')[] = ['-takedbcontrol'], timeoutSeconds = 10): AgentCommand => ({ type: 'startService', parameters, timeoutSeconds }),
  restore: (sasUrl = SAS_URL, sizeBytes = 1_048_576): AgentCommand => ({
    type: 'restoreDatabase',
    sasUrl,
    backupName: 'payroll/8204683599999_20261122T030000Z_ADT-PAY-PRI.bak',
    sha256: 'a'.repeat(64),
    sizeBytes,
    timeoutSeconds: 3600,
  }),
  ship: (): AgentCommand => ({ type: 'shipBackups' }),
};

export const SAS_SIGNATURE = 'sig=Zm9vYmFyU2VjcmV0U2lnbmF0dXJlVmFsdWU%3D';
export const SAS_URL = `https://payrollbackups.blob.core.windows.net/adtempus-backups/payroll/8204683599999_20261122T030000Z_ADT-PAY-PRI.bak?sv=2025-01-05&se=2026-11-22T03%3A00%3A00Z&sr=b&sp=r&${SAS_SIGNATURE}`;

/** Call from afterEach: ends fake services and removes folders and containers of the test. */
export async function cleanUpAgents(): Promise<void> {
  const work = cleanups.splice(0);
  for (const cleanup of work) await cleanup();
  const old = containers;
  containers = [];
  await Promise.all(old.map((c) => c.deleteIfExists()));
}

/** Call from afterAll. */
export async function releaseStorage(): Promise<void> {
  await storage?.release();
  storage = undefined;
}
