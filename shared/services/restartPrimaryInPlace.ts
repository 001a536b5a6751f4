import { randomUUID } from 'node:crypto';
import { COMMAND_CONTRACT_VERSION, WATCHDOG_INBOX_QUEUE, type CommandEnvelope } from '../contracts/agentCommands';
import type { FenceRecord } from '../contracts/fenceRecord';
import { ConfigError } from '../domain/errors';
import type { FailoverDecision } from '../domain/failoverPolicy';
import type { PairDefinition } from '../domain/pair';
import type { PairControl } from '../domain/pairControl';
import type { RestartOrdered } from '../domain/restartMessages';
import { DEFAULT_FAILOVER_SETTINGS } from '../domain/runbookSettings';
import type { CommandChannel } from '../ports/commandChannel.port';
import type { Logger } from '../ports/logger.port';
import type { StateStore } from '../ports/stateStore.port';
import { forgetRestartInPlace, recordRestartInPlace } from './pairControl';

export interface RestartDeps {
  readonly state: StateStore;
  readonly logger: Logger;
  readonly commands?: () => CommandChannel;
  readonly inboxQueue?: string;
  readonly agentHeartbeatIntervalSeconds?: number;
}

export type RestartOutcome =
  | { readonly kind: 'restart-ordered'; readonly restart: RestartOrdered; readonly messageId: string }
  /** A restart ordered moments ago has not had the time to show in the agent's reports yet. */
  | { readonly kind: 'restart-pending'; readonly orderedAt: string }
  | { readonly kind: 'unavailable'; readonly action: 'restart-in-place'; readonly detail: string };

type RestartDecided = Extract<FailoverDecision, { action: 'restart-in-place' }>;

/**
 * Orders the Primary's agent to start adTempus where it is (no start parameters: the same
 * service, the same database, nothing to take over). The restart is counted in the control
 * record before the command leaves, so a crash between the two can only cost an attempt, never
 * exceed the bound; a command that could not be sent is taken back so the next pass orders it
 * again (a start of a service that already runs changes nothing, should it have arrived after all).
 *
 * Once per observed stop: while the newest restart is younger than the start timeout plus two
 * agent heartbeats, the agent cannot have reported its result yet, and no new restart is ordered.
 */
export async function restartPrimaryInPlace(
  deps: RestartDeps,
  pair: PairDefinition,
  control: PairControl | undefined,
  fence: FenceRecord | undefined,
  decision: RestartDecided,
  now: Date,
): Promise<RestartOutcome> {
  const timeoutSeconds = (pair.failover ?? DEFAULT_FAILOVER_SETTINGS).startTimeoutSeconds;
  const holdOffMs = (timeoutSeconds + 2 * (deps.agentHeartbeatIntervalSeconds ?? 0)) * 1000;
  const newest = newestTime(control?.restartsInPlace ?? []);
  if (newest !== undefined && now.getTime() - newest < holdOffMs) return { kind: 'restart-pending', orderedAt: new Date(newest).toISOString() };

  const channel = commandChannel(deps);
  if (typeof channel === 'string') return { kind: 'unavailable', action: 'restart-in-place', detail: channel };

  const at = now.toISOString();
  const epoch = fence?.epoch ?? 0;
  const envelope: CommandEnvelope = {
    contract: COMMAND_CONTRACT_VERSION,
    messageId: randomUUID(),
    pairId: pair.id,
    targetHost: pair.primary.hostName,
    epoch,
    issuedAt: at,
    notAfter: new Date(now.getTime() + timeoutSeconds * 1000).toISOString(),
    replyTo: deps.inboxQueue ?? WATCHDOG_INBOX_QUEUE,
    correlationId: restartCorrelationId(pair.id, at),
    command: { type: 'startService', parameters: [], timeoutSeconds },
  };
  await recordRestartInPlace(deps.state, pair.id, now);
  try {
    await channel.send(envelope);
  } catch (error) {
    await forgetRestartInPlace(deps.state, pair.id, now).catch((forgetError: unknown) =>
      deps.logger.error('restart in place not sent, and taking it back failed: it counts as an attempt', { pair: pair.id, error: String(forgetError) }),
    );
    throw error;
  }
  const restart: RestartOrdered = { at, ...decision.restart, timeoutSeconds, epoch, evidence: decision.evidence };
  deps.logger.warn('restart in place ordered', { pair: pair.id, host: pair.primary.hostName, attempt: restart.attempt, max: restart.max, epoch, messageId: envelope.messageId });
  return { kind: 'restart-ordered', restart, messageId: envelope.messageId };
}

/**
 * Replies to a restart are recorded by the inbox like any other but raise no orchestration
 * event: the first segment is no failover instance, so routeReply leaves them alone.
 */
export function restartCorrelationId(pairId: string, at: string): string {
  return `restart/${pairId}/${at}`;
}

/** The channel, or why there is none: without ServiceBusConnection the composition throws ConfigError. */
function commandChannel(deps: RestartDeps): CommandChannel | string {
  if (deps.commands === undefined) return 'no command channel is wired into the heartbeat monitor';
  try {
    return deps.commands();
  } catch (error) {
    if (error instanceof ConfigError) return 'ServiceBusConnection is not configured, so no command can reach the agent';
    throw error;
  }
}

function newestTime(times: readonly string[]): number | undefined {
  const parsed = times.map((t) => Date.parse(t)).filter((t) => !Number.isNaN(t));
  return parsed.length === 0 ? undefined : Math.max(...parsed);
}
