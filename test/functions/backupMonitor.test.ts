import '../../functions/backupMonitor';
import type { ContainerClient } from '@azure/storage-blob';
import { BackupProducer } from '../../local/lab/backupProducer';
import type { BackupRecordState } from '../../shared/services/backupMonitor';
import { peerPair, startMonitorFixture, type MonitorFixture } from '../support/monitorFixture';

const CONTAINER = 'backups-fn';
let f: MonitorFixture;
let backups: ContainerClient;

beforeAll(async () => {
  f = await startMonitorFixture('backup-fn', (port) => [
    peerPair(port, { id: 'erp', backup: { container: CONTAINER, prefix: 'erp/', rpoBudgetMinutes: 60, expectedIntervalMinutes: 30, maxShrinkPercent: 50 } }),
    peerPair(port, { id: 'crm', backup: { container: CONTAINER, prefix: 'crm/', rpoBudgetMinutes: 60, expectedIntervalMinutes: 30, maxShrinkPercent: 50 } }),
    peerPair(port, { id: 'hr', backup: { container: CONTAINER, prefix: 'hr/', rpoBudgetMinutes: 60, expectedIntervalMinutes: 30, maxShrinkPercent: 50 } }),
  ]);
  backups = f.blob.getContainerClient(CONTAINER);
  await backups.createIfNotExists();
});

afterAll(async () => {
  await f.close();
});

beforeEach(() => {
  f.smtp.reset();
  f.logs.length = 0;
});

async function record(pairId: string): Promise<BackupRecordState> {
  const blob = f.blob.getContainerClient(f.env.WATCHDOG_STATE_CONTAINER!).getBlockBlobClient(`pairs/${pairId}/backup-monitor.json`);
  return JSON.parse((await blob.downloadToBuffer()).toString('utf8')) as BackupRecordState;
}
const subjects = (pairId: string): string[] => f.smtp.messages.map((m) => m.subject).filter((s) => s.includes(` ${pairId}: `));
const minutesAgo = (m: number): Date => new Date(Date.now() - m * 60_000);

describe('backupMonitor timer', () => {
  const erp = (): BackupProducer => new BackupProducer(backups, 'erp', 'erp/', 'ADT-PRI01', 4096);

  it('alerts on a missing backup and resolves when a sound one arrives', async () => {
    await f.invoke('backupMonitor');
    expect(subjects('erp')).toEqual(['[CRITICAL] erp: No database backup found']);
    expect((await record('erp')).assessment.state).toBe('missing');

    await erp().ship(minutesAgo(5));
    await f.invoke('backupMonitor');
    expect(subjects('erp')).toEqual(['[CRITICAL] erp: No database backup found', '[RESOLVED] erp: Resolved: No database backup found']);
    expect((await record('erp')).assessment).toMatchObject({ state: 'ok', newest: { sourceMachine: 'ADT-PRI01', sizeBytes: 4096 } });
  });

  it('alerts when the newest backup shrank sharply against the previous one', async () => {
    await erp().ship(minutesAgo(4), 1000);
    await f.invoke('backupMonitor');
    expect(subjects('erp')).toEqual(['[CRITICAL] erp: Newest database backup looks wrong']);
    const mail = f.smtp.messages.find((m) => m.subject.includes(' erp: '))!;
    expect(mail.text).toMatch(/76% smaller than the previous one/);
    expect((await record('erp')).assessment.newestValid?.sizeBytes).toBe(4096);
  });

  it('alerts when the newest backup is older than the RPO budget', async () => {
    await new BackupProducer(backups, 'crm', 'crm/', 'ADT-PRI01', 2048).ship(minutesAgo(90));
    await f.invoke('backupMonitor');
    expect(subjects('crm')).toEqual(['[CRITICAL] crm: Newest backup is older than the RPO budget']);
    expect(f.smtp.messages.find((m) => m.subject.includes(' crm: '))!.text).toMatch(/over the RPO budget of 60 min 0 s/);
  });

  it('skips a blob with a foreign name with a warning and keeps judging the real backups', async () => {
    const before = (await record('crm')).assessment;
    await backups.getBlockBlobClient('crm/0000000000000_readme.txt').uploadData(Buffer.from('not a backup'));
    await f.invoke('backupMonitor');
    expect(f.logs.join('\n')).toMatch(/warning: skipped blob "crm\/0000000000000_readme.txt": its name does not follow the backup contract/);
    expect((await record('crm')).assessment).toMatchObject({ state: before.state, newest: before.newest });
    expect(subjects('crm')).toEqual([]);
  });

  it('after a failover, sends people to the backup job of the active side, not of the configured Primary', async () => {
    const fence = { pairId: 'hr', epoch: 2, activeHost: 'ADT-SEC01', updatedAt: minutesAgo(30).toISOString(), reason: 'failover failover-hr' };
    await f.blob.getContainerClient(f.env.WATCHDOG_STATE_CONTAINER!).getBlockBlobClient('pairs/hr/fence.json').uploadData(Buffer.from(JSON.stringify(fence)));
    await new BackupProducer(backups, 'hr', 'hr/', 'ADT-PRI01', 2048).ship(minutesAgo(90));

    await f.invoke('backupMonitor');

    const mail = f.smtp.messages.find((m) => m.subject.includes(' hr: '))!;
    expect(mail.text).toContain('Check the adTempus backup job on ADT-SEC01');
    expect(mail.text).not.toContain('backup job on ADT-PRI01');
  });

  it('flags a backup whose metadata lacks its SHA-256', async () => {
    const name = await erp().ship(minutesAgo(1), 4096);
    const blob = backups.getBlockBlobClient(name);
    const { metadata } = await blob.getProperties();
    delete metadata!.sha256;
    await blob.setMetadata(metadata);
    await f.invoke('backupMonitor');
    expect((await record('erp')).assessment.problems).toContain('metadata sha256 is missing');
  });
});
