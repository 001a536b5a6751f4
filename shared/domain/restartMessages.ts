import { formatSeconds } from './heartbeatAssessment';
import type { Fact, Notification } from './notification';
import type { PairDefinition } from './pair';

/**
 * What people are told when the watchdog restarts the Primary's adTempus service where it is,
 * or cannot. Ids are stable per restart (or per condition), so a retried send is the same message.
 */

const CONDITION = 'restart-in-place';

export interface RestartOrdered {
  /** When the restart was ordered (ISO 8601, the watchdog's clock). */
  readonly at: string;
  readonly attempt: number;
  readonly max: number;
  readonly windowSeconds: number;
  readonly timeoutSeconds: number;
  readonly epoch: number;
  readonly evidence: readonly string[];
}

export function restartInPlaceMessage(pair: PairDefinition, restart: RestartOrdered, link?: string): Notification {
  const host = pair.primary.hostName;
  const last = restart.attempt >= restart.max;
  return {
    id: `${pair.id}:${CONDITION}:${restart.at}`,
    pairId: pair.id,
    condition: CONDITION,
    severity: 'warning',
    title: `adTempus restarted in place on ${host}`,
    summary:
      `The adTempus service on the Primary ${host} stopped on its own while the host and its agent were alive. ` +
      `The watchdog ordered it restarted where it is (attempt ${restart.attempt} of ${restart.max} in ${formatSeconds(restart.windowSeconds)}).`,
    since: restart.at,
    createdAt: restart.at,
    facts: [...pairFacts(pair), { name: 'Attempt', value: `${restart.attempt} of ${restart.max} in ${formatSeconds(restart.windowSeconds)}` }, { name: 'Start timeout', value: formatSeconds(restart.timeoutSeconds) }, { name: 'Epoch', value: String(restart.epoch) }, ...evidenceFacts(restart.evidence)],
    nextSteps: [
      `Find out why the service stopped: the Windows event log and the adTempus logs on ${host}.`,
      last
        ? `That was the last restart allowed in the window: if the service stops again, the watchdog ${pair.policy.automaticFailover ? 'fails over' : 'starts a failover that waits for approval'} to ${pair.secondary.hostName}.`
        : `If it keeps stopping, the watchdog restarts it up to ${restart.max} times in ${formatSeconds(restart.windowSeconds)} and then fails over.`,
    ],
    ...(link ? { link } : {}),
  };
}

/**
 * The Primary's service stopped on its own but the watchdog cannot order a restart (no command
 * channel configured). `since` is when that was first decided: one message per condition.
 */
export function restartUnavailableMessage(pair: PairDefinition, since: string, now: string, detail: string, evidence: readonly string[], link?: string): Notification {
  const host = pair.primary.hostName;
  return {
    id: `${pair.id}:${CONDITION}:unavailable:${since}`,
    pairId: pair.id,
    condition: CONDITION,
    severity: 'critical',
    title: `adTempus stopped on ${host} and the watchdog cannot restart it`,
    summary: `The adTempus service on the Primary ${host} stopped on its own, and the watchdog cannot restart it in place: ${detail}. Jobs are not running.`,
    since,
    createdAt: now,
    facts: [...pairFacts(pair), ...evidenceFacts(evidence)],
    nextSteps: [
      `Start the adTempus service on ${host} by hand, and find out why it stopped.`,
      'Configure ServiceBusConnection for the watchdog so it can send commands to the agents (see README, "Configuration").',
    ],
    ...(link ? { link } : {}),
  };
}

function pairFacts(pair: PairDefinition): Fact[] {
  return [
    { name: 'Pair', value: `${pair.id} (instance ${pair.instanceName}, ${pair.strategy} database)` },
    { name: 'Primary / Secondary', value: `${pair.primary.hostName} / ${pair.secondary.hostName}` },
  ];
}

function evidenceFacts(evidence: readonly string[]): Fact[] {
  return evidence.length === 0 ? [] : [{ name: 'Evidence', value: evidence.join('; ') }];
}
