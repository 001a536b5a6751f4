import { BlobServiceClient } from '@azure/storage-blob';
import { startAzurite, type AzuriteInstance } from '../../test/support/azurite';
import { SmtpSink } from '../../test/support/smtpSink';
import { LockTable, TdsPeer, lockTableResponder } from '../../test/support/tdsPeer';
import { WebhookSink } from '../../test/support/webhookSink';
import { BackupProducer } from './backupProducer';
import { DEFAULT_LAB_PORTS, LAB_SQL_LOGIN, labPairs, labSettings, type LabPorts } from './labSettings';
import { SimulatedAdTempus } from './simulatedAdTempus';

interface LabPair {
  readonly id: string;
  readonly instanceName: string;
  readonly primary: { readonly hostName: string };
  readonly secondary: { readonly hostName: string };
  readonly backup: { readonly container: string; readonly prefix: string; readonly expectedIntervalMinutes: number };
}

/**
 * A whole adTempus estate on one machine, for `npm start` and tests: Blob storage (Azurite), a
 * SQL Server stand-in per database server holding adTempus lock tables, a simulated adTempus
 * Primary per pair writing its heartbeat, a backup shipper per pair, and sinks that receive the
 * watchdog's Teams posts and emails.
 */
export interface Lab {
  readonly ports: LabPorts;
  readonly settings: Record<string, string>;
  readonly pairs: readonly LabPair[];
  readonly primaries: ReadonlyMap<string, SimulatedAdTempus>;
  readonly backups: ReadonlyMap<string, BackupProducer>;
  readonly sql: { readonly main: TdsPeer; readonly payrollSecondary: TdsPeer };
  readonly teams: WebhookSink;
  readonly smtp: SmtpSink;
  readonly blob: BlobServiceClient;
  stop(): Promise<void>;
}

export interface LabOptions {
  /** Fixed ports (the README's) by default; zeros pick free ports (tests). */
  readonly ports?: LabPorts;
  readonly heartbeatMs?: number;
  readonly log?: (line: string) => void;
}

export async function startLab(options: LabOptions = {}): Promise<Lab> {
  const wanted = options.ports ?? DEFAULT_LAB_PORTS;
  const log = options.log ?? (() => undefined);
  const started: { stop(): Promise<void> }[] = [];
  try {
    const azurite: AzuriteInstance = await startAzurite({ port: wanted.blob });
    started.push(azurite);
    const mainLocks = new LockTable();
    const secondaryLocks = new LockTable();
    const main = await TdsPeer.start({ port: wanted.sql, logins: [LAB_SQL_LOGIN], respond: lockTableResponder(mainLocks) });
    started.push(main);
    const payrollSecondary = await TdsPeer.start({ port: wanted.sqlPayrollSecondary, logins: [LAB_SQL_LOGIN], respond: lockTableResponder(secondaryLocks) });
    started.push(payrollSecondary);
    const smtp = await SmtpSink.start({ port: wanted.smtp });
    started.push({ stop: () => smtp.close() });
    const teams = await WebhookSink.start({ port: wanted.webhook });
    started.push({ stop: () => teams.close() });

    const ports: LabPorts = { ...wanted, blob: azurite.port, sql: main.port, sqlPayrollSecondary: payrollSecondary.port, smtp: smtp.port, webhook: portOf(teams.url) };
    const storage = wanted.blob === DEFAULT_LAB_PORTS.blob ? 'UseDevelopmentStorage=true' : azurite.connectionString;
    const settings = labSettings(ports, storage);
    const pairs = labPairs(ports) as LabPair[];
    const blob = BlobServiceClient.fromConnectionString(azurite.connectionString);

    const primaries = new Map<string, SimulatedAdTempus>();
    const backups = new Map<string, BackupProducer>();
    for (const pair of pairs) {
      const primary = new SimulatedAdTempus(mainLocks, pair.instanceName, pair.primary.hostName, options.heartbeatMs ?? 5_000);
      primary.start();
      primaries.set(pair.id, primary);
      const container = blob.getContainerClient(pair.backup.container);
      await container.createIfNotExists();
      const producer = new BackupProducer(container, pair.id, pair.backup.prefix, pair.primary.hostName);
      await producer.ship(new Date(Date.now() - 60_000));
      producer.every(pair.backup.expectedIntervalMinutes * 60_000, (e) => log(`lab: backup of ${pair.id} failed: ${String(e)}`));
      backups.set(pair.id, producer);
    }
    // The copied pair's standby database holds the restored lock of the last backup: released.
    secondaryLocks.set('Payroll', { owner: null, heartbeatUtc: null });

    return {
      ports,
      settings,
      pairs,
      primaries,
      backups,
      sql: { main, payrollSecondary },
      teams,
      smtp,
      blob,
      stop: async () => {
        for (const p of primaries.values()) p.hang();
        for (const b of backups.values()) b.stop();
        await stopAll(started);
      },
    };
  } catch (error) {
    await stopAll(started);
    throw error;
  }
}

async function stopAll(started: { stop(): Promise<void> }[]): Promise<void> {
  await Promise.allSettled(started.reverse().map((s) => s.stop()));
}

function portOf(url: string): number {
  return Number(new URL(url).port);
}
