import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { createBackupShipper } from '../../../agent/composition/realCollaborators';
import { loadAgentConfig } from '../../../agent/config/agentConfig';
import type { Logger } from '../../../shared/ports/logger.port';
import { testStorage, type TestStorage } from '../../support/azurite';

let storage: TestStorage;
let folder: string;
let stateDir: string;
const quiet: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

beforeAll(async () => {
  storage = await testStorage();
});
afterAll(() => storage.release());
beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'ship-config-backups-'));
  stateDir = await mkdtemp(join(tmpdir(), 'ship-config-state-'));
});
afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
  await rm(stateDir, { recursive: true, force: true });
});

/** The production shipper, built from the agent's environment as agent/main.ts builds it. */
function shipperFrom(extra: Record<string, string>) {
  const config = loadAgentConfig({
    ADTEMPUS_AGENT_PAIR_ID: 'payroll',
    ADTEMPUS_AGENT_HOST_NAME: 'ADT-PAY-PRI',
    ADTEMPUS_AGENT_PRIMARY_HOST: 'ADT-PAY-PRI',
    ADTEMPUS_AGENT_SERVICEBUS_CONNECTION_STRING: 'Endpoint=sb://127.0.0.1:5672/;SharedAccessKeyName=agent;SharedAccessKey=not-used-here;UseDevelopmentEmulator=true',
    ADTEMPUS_AGENT_FENCE_CONNECTION_STRING: storage.connectionString,
    ADTEMPUS_AGENT_SERVICE_CONTROL: 'process',
    ADTEMPUS_AGENT_PROCESS_COMMAND: process.execPath,
    ADTEMPUS_AGENT_STATE_DIR: stateDir,
    ADTEMPUS_AGENT_BACKUP_FOLDER: folder,
    ADTEMPUS_AGENT_BACKUP_CONTAINER: `backups-${randomUUID()}`,
    ...extra,
  });
  return createBackupShipper(config, quiet)!;
}

describe('The backup shipper built from the agent configuration', () => {
  it('ships a backup once it has stayed unchanged for ADTEMPUS_AGENT_BACKUP_SETTLE_SECONDS', async () => {
    const shipper = shipperFrom({ ADTEMPUS_AGENT_BACKUP_SETTLE_SECONDS: '1' });
    await writeFile(join(folder, 'payroll-20261122.bak'), randomBytes(4096));

    const first = await shipper.shipNow();
    await delay(1_200);
    const second = await shipper.shipNow();

    expect(first.pending.map((p) => p.file)).toEqual([join(folder, 'payroll-20261122.bak')]);
    expect(second.shipped.map((s) => s.file)).toEqual([join(folder, 'payroll-20261122.bak')]);
  });

  it('keeps waiting with the default settle time of a minute', async () => {
    const shipper = shipperFrom({});
    await writeFile(join(folder, 'payroll-20261122.bak'), randomBytes(4096));

    await shipper.shipNow();
    await delay(1_200);
    const second = await shipper.shipNow();

    expect(second.shipped).toEqual([]);
    expect(second.pending.map((p) => p.file)).toEqual([join(folder, 'payroll-20261122.bak')]);
  });
});
