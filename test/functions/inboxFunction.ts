import { randomUUID } from 'node:crypto';
import { InvocationContext } from '@azure/functions';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { getRegistration } from '../../local/functionsCore';
import { BlobStateStore } from '../../shared/adapters/blob/blobStateStore';
import { closeAppServices } from '../../shared/composition/appServices';
import { COMMAND_CONTRACT_VERSION, type AgentHeartbeat } from '../../shared/contracts/agentCommands';
import type { PairConfigInput } from '../../shared/config/configSchema';
import { testStorage, type TestStorage } from '../support/azurite';
import { pairInput } from '../support/pairs';

/** What the agentInbox tests share: the app's environment on Azurite, its state, the invocations' log lines. */
export interface InboxFunction {
  /** The state container's records (set in beforeAll). */
  state: BlobStateStore;
  container: ContainerClient;
  /** Azurite's connection string (set in beforeAll). */
  connectionString: string;
  /** The log lines of this test's invocations (`<level>: <text>`), emptied before each test. */
  readonly logs: string[];
  /** Invokes the registered agentInbox handler as the host would, with these trigger metadata. */
  invoke(body: unknown, triggerMetadata: Record<string, unknown>): Promise<void>;
}

/**
 * Registers the hooks that give the agentInbox function the app's environment (pairs erp and hr,
 * state in `containerName` on Azurite), and restores the environment afterwards. Import
 * '../../functions/agentInbox' in the test file so the function is registered.
 */
export function useInboxFunction(containerName: string, pairs: readonly PairConfigInput[] = [pairInput(), pairInput({ id: 'hr' })]): InboxFunction {
  let storage: TestStorage;
  let savedEnv: NodeJS.ProcessEnv;
  const logs: string[] = [];
  const fixture = {
    logs,
    async invoke(body: unknown, triggerMetadata: Record<string, unknown>): Promise<void> {
      const context = new InvocationContext({
        functionName: 'agentInbox',
        invocationId: randomUUID(),
        triggerMetadata,
        logHandler: (level, ...args) => logs.push(`${level}: ${args.map(String).join(' ')}`),
      });
      await getRegistration('agentInbox').handler(body, context);
    },
  } as InboxFunction;

  beforeAll(async () => {
    storage = await testStorage();
    savedEnv = { ...process.env };
    Object.assign(process.env, {
      WatchdogStorage: storage.connectionString,
      WATCHDOG_STATE_CONTAINER: containerName,
      WATCHDOG_PAIRS: JSON.stringify(pairs),
      ERP_PRIMARY_SQL_PASSWORD: 'Test-Passw0rd',
      ERP_SECONDARY_SQL_PASSWORD: 'Test-Passw0rd',
      SMTP_HOST: '127.0.0.1',
      ALERT_EMAIL_FROM: 'watchdog@example.com',
      WATCHDOG_INBOX_QUEUE: 'watchdog-inbox',
    });
    await closeAppServices();
    fixture.connectionString = storage.connectionString;
    fixture.container = BlobServiceClient.fromConnectionString(storage.connectionString).getContainerClient(containerName);
    fixture.state = new BlobStateStore(fixture.container);
  });

  afterAll(async () => {
    await closeAppServices();
    process.env = savedEnv;
    await storage.release();
  });

  beforeEach(() => {
    logs.length = 0;
  });

  return fixture;
}

/** A valid heartbeat of the erp pair's Secondary agent; override what the test is about. */
export function agentHeartbeat(overrides: Partial<AgentHeartbeat> = {}): AgentHeartbeat {
  return {
    contract: COMMAND_CONTRACT_VERSION,
    kind: 'agentHeartbeat',
    pairId: 'erp',
    host: 'ADT-SEC01',
    sentAt: new Date().toISOString(),
    sequence: 7,
    bootId: 'boot-1',
    agentVersion: '0.1.0',
    service: { state: 'stopped', startupType: 'manual', stopOrdered: false },
    epochSeen: 1,
    fenced: false,
    ...overrides,
  };
}
