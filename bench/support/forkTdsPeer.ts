import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { superviseChild } from '../../test/support/supervisedChild';

/** What the benchmark asks its TDS peer process, and what that answers (over the fork's IPC channel). */
export type PeerRequest = { readonly type: 'stats' } | { readonly type: 'stop' };

export interface PeerStats {
  /** Successful logins since start: one per new pooled connection. */
  readonly logins: number;
  readonly failedLogins: number;
  /** Heartbeat queries answered (session chatter left out). */
  readonly queries: number;
  readonly openConnections: number;
}

export type PeerReply = { readonly type: 'ready'; readonly port: number } | ({ readonly type: 'stats' } & PeerStats);

export interface TdsPeerProcess {
  readonly port: number;
  stats(): Promise<PeerStats>;
  /** Asks the peer to close every connection and exit; SIGKILL after a grace period. Idempotent. */
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 5_000;

export async function forkTdsPeer(options: { readonly latencyMs: number; readonly pairs: number }): Promise<TdsPeerProcess> {
  const child = fork(join(__dirname, 'tdsPeerProcess.js'), [String(options.latencyMs), String(options.pairs)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const { stop } = superviseChild(child, {
    graceMs: STOP_GRACE_MS,
    askToStop: () => (child.connected ? child.send({ type: 'stop' } satisfies PeerRequest) : child.kill('SIGTERM')),
  });

  try {
    const ready = await nextReply(child, 'ready', START_TIMEOUT_MS);
    return {
      port: ready.port,
      stats: async () => {
        const answer = nextReply(child, 'stats', START_TIMEOUT_MS);
        child.send({ type: 'stats' } satisfies PeerRequest);
        const { type: _type, ...stats } = await answer;
        return stats;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function nextReply<K extends PeerReply['type']>(child: ChildProcess, type: K, timeoutMs: number): Promise<Extract<PeerReply, { type: K }>> {
  return new Promise((resolve, reject) => {
    const done = (fn: () => void): void => {
      clearTimeout(timer);
      child.removeListener('message', onMessage);
      child.removeListener('exit', onExit);
      fn();
    };
    const onMessage = (message: PeerReply): void => {
      if (message.type === type) done(() => resolve(message as Extract<PeerReply, { type: K }>));
    };
    const onExit = (code: number | null): void => done(() => reject(new Error(`the TDS peer process exited (code ${code}) before answering "${type}"`)));
    const timer = setTimeout(() => done(() => reject(new Error(`the TDS peer process did not answer "${type}" within ${timeoutMs} ms`))), timeoutMs);
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}
