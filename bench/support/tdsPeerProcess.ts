import { LockTable, TdsPeer, lockTableResponder, sessionChatter } from '../../test/support/tdsPeer';
import { fleetInstance, fleetPrimaryHost } from './monitorFleet';
import type { PeerReply, PeerRequest } from './forkTdsPeer';

/**
 * The TDS peer of the monitor benchmark in a process of its own (started by forkTdsPeer), so
 * that its sockets, buffers and timers do not count in the watchdog's memory or CPU figures.
 * argv: <latencyMs> <pairs>. Every pair's Primary holds its lock and beats every few seconds.
 */

const HEARTBEAT_EVERY_MS = 5_000;

function reply(message: PeerReply): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  const latencyMs = Number(process.argv[2]);
  const pairs = Number(process.argv[3]);
  if (!Number.isInteger(latencyMs) || !Number.isInteger(pairs) || latencyMs < 0 || pairs < 1) {
    throw new Error('usage: tdsPeerProcess <latencyMs> <pairs>');
  }
  const table = new LockTable();
  const beat = (): void => {
    const now = table.now();
    for (let i = 0; i < pairs; i++) table.set(fleetInstance(i), { owner: fleetPrimaryHost(i), heartbeatUtc: now });
  };
  beat();
  const heartbeat = setInterval(beat, HEARTBEAT_EVERY_MS);

  let queries = 0;
  const answer = lockTableResponder(table);
  const peer = await TdsPeer.start({
    latencyMs,
    respond: (request) => {
      if (sessionChatter(request) === undefined) queries++;
      return answer(request);
    },
  });

  let stopping: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    stopping ??= (async () => {
      clearInterval(heartbeat);
      await peer.stop();
      process.exit(0);
    })();
    return stopping;
  };
  process.on('message', (message: PeerRequest) => {
    if (message.type === 'stats') {
      reply({ type: 'stats', logins: peer.loginCount, failedLogins: peer.failedLoginCount, queries, openConnections: peer.openConnections });
    } else if (message.type === 'stop') {
      void shutdown();
    }
  });
  // An orphan must not outlive the benchmark that forked it.
  process.once('disconnect', () => void shutdown());
  reply({ type: 'ready', port: peer.port });
}

main().catch((error: unknown) => {
  console.error(`tds peer process: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
