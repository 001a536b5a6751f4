import { randomUUID } from 'node:crypto';
import { BlobServiceClient } from '@azure/storage-blob';
import '../../../../orchestrations/failover/activities/index';
import { ACTIVITIES } from '../../../../orchestrations/names';
import { registeredFunctions } from '../../../../local/durable/registeredFunctions';
import { runActivity } from '../../../../local/durable/runActivity';
import { getRegistrations } from '../../../../local/functionsCore';
import { BlobStateStore } from '../../../../shared/adapters/blob/blobStateStore';
import { closeAppServices } from '../../../../shared/composition/appServices';
import { fenceKey, type FenceRecord } from '../../../../shared/contracts/fenceRecord';
import type { RaiseEpochInput, SendCommandInput } from '../../../../shared/contracts/failoverContract';
import { testStorage, type TestStorage } from '../../../support/azurite';
import { pairInput } from '../../../support/pairs';

const STATE_CONTAINER = `state-${randomUUID()}`;

let storage: TestStorage;
let savedEnv: NodeJS.ProcessEnv;

beforeAll(async () => {
  storage = await testStorage();
  savedEnv = { ...process.env };
  // No ServiceBusConnection: only sending commands needs it.
  for (const name of ['ServiceBusConnection', 'ServiceBusConnection__fullyQualifiedNamespace']) delete process.env[name];
  Object.assign(process.env, {
    WatchdogStorage: storage.connectionString,
    WATCHDOG_STATE_CONTAINER: STATE_CONTAINER,
    WATCHDOG_PAIRS: JSON.stringify([pairInput()]),
    ERP_PRIMARY_SQL_PASSWORD: 'Test-Passw0rd',
    ERP_SECONDARY_SQL_PASSWORD: 'Test-Passw0rd',
    ALERT_EMAIL_FROM: 'watchdog@example.com',
    SMTP_HOST: '127.0.0.1',
  });
  await closeAppServices();
});

afterAll(async () => {
  await closeAppServices();
  process.env = savedEnv;
  await storage.release();
});

describe('the failover activities module', () => {
  it('registers every activity under its ACTIVITIES name with an activity trigger', () => {
    const activities = [...getRegistrations().values()]
      .filter((r) => Object.values(r.metadata.bindings).some((b) => b.type === 'activityTrigger'))
      .map((r) => r.name)
      .sort();

    expect(activities).toEqual(Object.values(ACTIVITIES).sort());
  });

  it("runs a registered activity as the host would, on the app's own configuration", async () => {
    const input: RaiseEpochInput = { pairId: 'erp', instanceId: 'failover-erp', reason: 'registered run' };

    const logs: string[] = [];

    const outcome = await runActivity(registeredFunctions.activity(ACTIVITIES.raiseEpoch), ACTIVITIES.raiseEpoch, input, (level, ...args) => logs.push(`${level}: ${args.map(String).join(' ')}`));

    expect(outcome).toEqual({ ok: true, result: { epoch: 1, activeHost: 'ADT-SEC01', previousEpoch: 0, alreadyRaised: false } });
    expect(logs).toEqual([expect.stringMatching(/^warning: fence raised.*"function":"failoverRaiseEpoch","invocationId":"[0-9a-f-]{36}"/)]);
    const state = new BlobStateStore(BlobServiceClient.fromConnectionString(storage.connectionString).getContainerClient(STATE_CONTAINER));
    expect((await state.read<FenceRecord>(fenceKey('erp')))?.value).toMatchObject({ epoch: 1, activeHost: 'ADT-SEC01', failoverId: 'failover-erp' });
  });

  it('fails only the sending of commands, with the missing setting named, when Service Bus is not configured', async () => {
    const issuedAt = new Date();
    const input: SendCommandInput = {
      pairId: 'erp',
      role: 'secondary',
      messageId: randomUUID(),
      correlationId: 'failover-erp/status-1',
      epoch: 0,
      issuedAt: issuedAt.toISOString(),
      notAfter: new Date(issuedAt.getTime() + 30_000).toISOString(),
      command: { type: 'status' },
    };

    const outcome = await runActivity(registeredFunctions.activity(ACTIVITIES.sendCommand), ACTIVITIES.sendCommand, input, () => undefined);

    expect(outcome).toMatchObject({ ok: false, failureDetails: { ErrorType: 'ConfigError', ErrorMessage: expect.stringContaining('ServiceBusConnection') } });
  });
});
