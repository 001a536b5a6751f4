import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { commandQueueName, WATCHDOG_INBOX_QUEUE } from '../../shared/contracts/agentCommands';
import { AmqpBroker } from '../../test/support/amqpBroker';
import { startAzurite } from '../../test/support/azurite';
import { SmtpSink } from '../../test/support/smtpSink';
import { TdsPeer } from '../../test/support/tdsPeer';
import { WebhookSink } from '../../test/support/webhookSink';
import { BackupProducer } from './backupProducer';
import { labAgentConfig } from './labAgentConfig';
import { encodeLabBackup } from './labBackupFile';
import { LabDatabase } from './labDatabase';
import { startLabDatabaseServer } from './labDatabaseServer';
import { LabHost, type LabSide } from './labHost';
import { labProgramPath } from './labProgram';
import { DEFAULT_LAB_PORTS, LAB_SQL_LOGIN, LAB_TIMING, labPairs, labServiceBusConnection, labSettings, type LabPair, type LabPorts } from './labSettings';
import { labSqlResponder } from './labSqlResponder';
import { labState, type LabState } from './labState';
import { forwardPort } from './portForwarder';

export type { LabPair, LabSideSpec } from './labSettings';

/**
 * A whole adTempus estate on one machine, for `npm start`, end-to-end tests and benchmarks: Blob
 * storage (Azurite), the AMQP broker standing in for Service Bus, SQL Server stand-ins holding
 * each adTempus database's lock, and per host the real agent and a simulated adTempus service it
 * controls; sinks receive the watchdog's Teams posts and emails.
 */
export interface Lab {
  readonly ports: LabPorts;
  /** The watchdog's app settings for this lab (WATCHDOG_PAIRS, ServiceBusConnection, ...). */
  readonly settings: Record<string, string>;
  readonly pairs: readonly LabPair[];
  /** Every host by computer name, as configured (e.g. ADT-ERP-PRI). */
  readonly hosts: ReadonlyMap<string, LabHost>;
  /** Every adTempus database by name; a shared pair's two hosts use one. */
  readonly databases: ReadonlyMap<string, LabDatabase>;
  readonly broker: AmqpBroker;
  readonly sql: { readonly main: TdsPeer; readonly payrollSecondary: TdsPeer };
  readonly teams: WebhookSink;
  readonly smtp: SmtpSink;
  readonly blob: BlobServiceClient;
  /** Azurite's explicit connection string (the settings say UseDevelopmentStorage=true on the default port). */
  readonly storageConnectionString: string;
  /** The lab's scratch folder: each host's agent state, backup and download folders. */
  readonly dir: string;
  host(pairId: string, side: LabSide): LabHost;
  /** Everything a person watching the lab wants at a glance (GET /lab). */
  state(): Promise<LabState>;
  stop(): Promise<void>;
}

export interface LabOptions {
  /** Fixed ports (the README's) by default; zeros pick free ports (tests: ANY_LAB_PORTS). */
  readonly ports?: LabPorts;
  /** The simulated adTempus heartbeat interval. */
  readonly heartbeatMs?: number;
  /** How often a running simulated adTempus has its database backed up. */
  readonly backupIntervalMs?: number;
  readonly log?: (line: string) => void;
  /**
   * Changes the pairs' settings (policy, failover, backup budgets) before anything starts, e.g. a
   * benchmark with restarts in place disabled. Pair ids, host names and databases must stay.
   */
  readonly adjustPairs?: (pairs: unknown[]) => unknown[];
}

const STATE_CONTAINER = 'watchdog-state';
/** Commands are resent with the same message id; Service Bus drops the copy within this window. */
const DUPLICATE_WINDOW_MS = 10 * 60_000;
const STARTUP_WAIT_MS = 15_000;
/** The copied pair's standby starts as if last night's restore had run: the Primary's backup a minute ago. */
const SEED_BACKUP_AGE_MS = 60_000;

export async function startLab(options: LabOptions = {}): Promise<Lab> {
  const wanted = options.ports ?? DEFAULT_LAB_PORTS;
  const log = options.log ?? (() => undefined);
  const heartbeatMs = options.heartbeatMs ?? LAB_TIMING.adTempusHeartbeatSeconds * 1000;
  const backupMs = options.backupIntervalMs ?? LAB_TIMING.backupIntervalSeconds * 1000;
  const started: { stop(): Promise<void> }[] = [];
  const hosts = new Map<string, LabHost>();
  const dir = await mkdtemp(join(tmpdir(), 'adtempus-lab-'));
  started.push({ stop: () => rm(dir, { recursive: true, force: true }) });
  try {
    const pairsFor = (ports: LabPorts): unknown[] => (options.adjustPairs ? options.adjustPairs(labPairs(ports)) : labPairs(ports));
    const blueprint = pairsFor(wanted) as LabPair[];
    const allHosts = blueprint.flatMap((p) => [p.primary.hostName, p.secondary.hostName]);

    const azurite = await startAzurite({ port: wanted.blob });
    started.push(azurite);
    const broker = await AmqpBroker.start({
      queues: [{ name: WATCHDOG_INBOX_QUEUE }, ...allHosts.map((h) => ({ name: commandQueueName(h), duplicateDetectionWindowMs: DUPLICATE_WINDOW_MS }))],
    });
    started.push(broker);
    const serviceBusPort = wanted.serviceBus === 0 ? broker.port : (await startForwarder(wanted.serviceBus, broker.port, started)).port;

    const databases = labDatabases(blueprint);
    const onOwnServer = new Set(blueprint.filter((p) => p.strategy === 'copied').map((p) => p.secondary.database.database.toLowerCase()));
    const all = [...databases.values()];
    const main = await TdsPeer.start({ port: wanted.sql, logins: [LAB_SQL_LOGIN], respond: labSqlResponder(all.filter((d) => !onOwnServer.has(d.name.toLowerCase()))) });
    started.push(main);
    const payrollSecondary = await TdsPeer.start({
      port: wanted.sqlPayrollSecondary,
      logins: [LAB_SQL_LOGIN],
      respond: labSqlResponder(all.filter((d) => onOwnServer.has(d.name.toLowerCase()))),
    });
    started.push(payrollSecondary);
    const databaseServer = await startLabDatabaseServer({
      databases: all,
      responsive: (host) => hosts.get(host)?.responsive() ?? Promise.resolve(),
      log: (line) => log(`lab: ${line}`),
    });
    started.push({ stop: () => databaseServer.close() });
    const smtp = await SmtpSink.start({ port: wanted.smtp });
    started.push({ stop: () => smtp.close() });
    const teams = await WebhookSink.start({ port: wanted.webhook });
    started.push({ stop: () => teams.close() });

    const ports: LabPorts = {
      ...wanted,
      blob: azurite.port,
      sql: main.port,
      sqlPayrollSecondary: payrollSecondary.port,
      smtp: smtp.port,
      webhook: Number(new URL(teams.url).port),
      serviceBus: serviceBusPort,
    };
    const storage = wanted.blob === DEFAULT_LAB_PORTS.blob ? 'UseDevelopmentStorage=true' : azurite.connectionString;
    const pairConfig = pairsFor(ports);
    const settings = labSettings(ports, storage, pairConfig);
    const pairs = pairConfig as LabPair[];
    const blob = BlobServiceClient.fromConnectionString(azurite.connectionString);
    await blob.getContainerClient(STATE_CONTAINER).createIfNotExists();
    for (const pair of pairs) await seedBackup(blob, pair, databases);

    const programs = {
      adTempus: await labProgramPath('adTempusProcess', dir),
      restore: await labProgramPath('labRestoreCommand', dir),
    };
    for (const pair of pairs) {
      for (const side of ['primary', 'secondary'] as const) {
        const hostName = pair[side].hostName;
        const hostDir = join(dir, hostName);
        const folders = { state: join(hostDir, 'state'), backups: join(hostDir, 'backups'), downloads: join(hostDir, 'downloads') };
        await Promise.all(Object.values(folders).map((f) => mkdir(f, { recursive: true })));
        const database = databases.get(pair[side].database.database)!;
        const config = labAgentConfig({
          pair,
          side,
          database: database.name,
          folders,
          serviceBus: labServiceBusConnection(ports.serviceBus),
          storage: azurite.connectionString,
          stateContainer: STATE_CONTAINER,
          programs,
          databaseServerUrl: databaseServer.url,
          heartbeatMs,
          backupMs,
        });
        const configFile = join(hostDir, 'agent.json');
        await writeFile(configFile, JSON.stringify(config, null, 2));
        hosts.set(hostName, new LabHost({ pairId: pair.id, side, hostName, database, configFile, installedStartup: side === 'primary' ? 'automatic' : 'manual' }, log));
      }
    }
    started.push({ stop: async () => void (await Promise.allSettled([...hosts.values()].map((h) => h.shutdown()))) });
    for (const line of await Promise.all([...hosts.values()].map((h) => h.boot()))) log(`lab: ${line}`);
    await primariesOwnTheirLocks(pairs, databases);

    const lab: Lab = {
      ports,
      settings,
      pairs,
      hosts,
      databases,
      broker,
      sql: { main, payrollSecondary },
      teams,
      smtp,
      blob,
      storageConnectionString: azurite.connectionString,
      dir,
      host(pairId, side) {
        const pair = pairs.find((p) => p.id === pairId);
        const host = pair ? hosts.get(pair[side].hostName) : undefined;
        if (!host) throw new Error(`no pair "${pairId}" in the lab`);
        return host;
      },
      state: () => labState(lab),
      stop: () => stopAll(started),
    };
    return lab;
  } catch (error) {
    await stopAll(started);
    throw error;
  }
}

function labDatabases(pairs: readonly LabPair[]): Map<string, LabDatabase> {
  const databases = new Map<string, LabDatabase>();
  for (const pair of pairs) {
    for (const side of [pair.primary, pair.secondary]) {
      const name = side.database.database;
      if (!databases.has(name)) databases.set(name, new LabDatabase(name, pair.instanceName, pair.policy.staleThresholdSeconds * 1000));
    }
  }
  return databases;
}

/**
 * The backup history the lab starts with: the Primary's database backed up a minute ago, in
 * Blob storage as the shipper leaves it; a copied pair's standby database holds it restored.
 */
async function seedBackup(blob: BlobServiceClient, pair: LabPair, databases: ReadonlyMap<string, LabDatabase>): Promise<void> {
  const container = blob.getContainerClient(pair.backup.container);
  await container.createIfNotExists();
  const takenAt = new Date(Date.now() - SEED_BACKUP_AGE_MS);
  const source = pair.primary;
  const body = encodeLabBackup({
    database: source.database.database,
    instanceName: pair.instanceName,
    owner: source.hostName,
    heartbeatUtc: takenAt.toISOString(),
    takenAt: takenAt.toISOString(),
    host: source.hostName,
  });
  await new BackupProducer(container, pair.id, pair.backup.prefix, source.hostName).ship(takenAt, body.length, body);
  if (pair.strategy === 'copied') databases.get(pair.secondary.database.database)!.lock.replace({ owner: source.hostName, heartbeatUtc: takenAt });
}

async function primariesOwnTheirLocks(pairs: readonly LabPair[], databases: ReadonlyMap<string, LabDatabase>): Promise<void> {
  const until = Date.now() + STARTUP_WAIT_MS;
  for (;;) {
    const waiting = pairs.filter((p) => databases.get(p.primary.database.database)!.lock.owner !== p.primary.hostName);
    if (waiting.length === 0) return;
    if (Date.now() > until) throw new Error(`the lab's adTempus Primaries did not take their locks: ${waiting.map((p) => p.primary.hostName).join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function startForwarder(port: number, target: number, started: { stop(): Promise<void> }[]): Promise<{ port: number }> {
  const forwarder = await forwardPort(port, target);
  started.push({ stop: () => forwarder.close() });
  return forwarder;
}

async function stopAll(started: { stop(): Promise<void> }[]): Promise<void> {
  for (const s of started.splice(0).reverse()) await s.stop().catch(() => undefined);
}
