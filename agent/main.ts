import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { invocationLogger } from '../shared/adapters/logging/invocationLogger';
import { ConfigError } from '../shared/domain/errors';
import { composeAgentCore } from './composition/composeAgentCore';
import { backupDownloader, createBackupShipper, createDatabaseRestorer, createLocalDatabaseProbe } from './composition/realCollaborators';
import { loadAgentConfig } from './config/agentConfig';
import { CommandReceiver } from './transport/commandReceiver';
import { HeartbeatSender } from './transport/heartbeatSender';
import { ReplySender } from './transport/replySender';
import { createAgentServiceBusClient, describeTransportError } from './transport/serviceBusClient';

/**
 * The host agent's process: configuration, then the fence check (before any command is taken),
 * then heartbeats, the command receiver and the backup shipper. Runs as a Windows service
 * (e.g. under a service wrapper) on each adTempus host; `node dist/agent/main.js`.
 */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<() => Promise<void>> {
  const config = loadAgentConfig(env);
  const log = invocationLogger(console, { pairId: config.pairId, host: config.hostName });
  const agentVersion = packageVersion();
  const shipper = createBackupShipper(config, log);
  const restorer = createDatabaseRestorer(config);
  const databaseProbe = createLocalDatabaseProbe(config);
  const core = await composeAgentCore(config, {
    log,
    agentVersion,
    ...(shipper ? { shipper } : {}),
    ...(restorer ? { restorer, downloader: backupDownloader } : {}),
    ...(databaseProbe ? { databaseProbe } : {}),
  });
  // A fenced host stops adTempus before it listens to anyone.
  await core.start();

  const client = createAgentServiceBusClient(config.serviceBus.auth);
  const replies = new ReplySender(client, { logger: log });
  const receiver = new CommandReceiver(client, { queueName: config.serviceBus.commandQueue, processor: core.processor, replies, logger: log });
  const heartbeat = new HeartbeatSender(client, {
    intervalMs: config.heartbeatIntervalSeconds * 1000,
    queueName: config.serviceBus.inboxQueue,
    logger: log,
    fields: async () => ({ pairId: config.pairId, host: config.hostName, agentVersion, ...(await core.heartbeatFields()) }),
  });
  heartbeat.start();
  receiver.start();
  shipper?.start();
  log.info('agent started', { commandQueue: config.serviceBus.commandQueue, serviceControl: config.service.control, agentVersion });

  return async () => {
    await receiver.stop();
    await heartbeat.stop();
    await shipper?.stop();
    core.stop();
    await replies.close();
    await client.close();
    log.info('agent stopped');
  };
}

/** package.json's version, found from wherever the compiled file runs. */
function packageVersion(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) return (JSON.parse(readFileSync(candidate, 'utf8')) as { version?: string }).version ?? 'unknown';
  }
  return 'unknown';
}

if (require.main === module) {
  main().then(
    (stop) => {
      const shutdown = (): void => {
        stop().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
    },
    (error: unknown) => {
      // Every configuration problem at once; nothing else from the error (it may come from an SDK).
      if (error instanceof ConfigError) console.error(error.message);
      else console.error('agent could not start', describeTransportError(error));
      process.exit(1);
    },
  );
}
