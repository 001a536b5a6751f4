import { WatchdogError } from '../domain/errors';
import type { HeartbeatSource } from '../ports/heartbeatSource.port';
import { monitorPair, type HeartbeatPairResult } from './heartbeatPass';
import type { MonitorDeps } from './heartbeatMonitor';

/**
 * The agent's heartbeat is the fast signal, but the monitor decides on its timer: when the
 * Primary's agent reports its service stopped on its own, the inbox runs the monitor's own work
 * for that pair at once (heartbeatPass.monitorPair: check, record, decide, act), so a crashed
 * service is restarted in place, or failed over once the restarts are used up, within about one
 * agent heartbeat instead of one timer interval.
 *
 * It reads the database heartbeat afresh rather than deciding on the stored assessment, for two
 * reasons. A clean stop by a person (services.msc) also reaches the agent as "stopped, no stop
 * ordered", and only the lock tells it apart (released: the watchdog does not overrule it);
 * the stored assessment still says healthy. And the condition that "one automatic failover per
 * condition" is keyed on is the Primary's last heartbeat: the stored one predates whatever the
 * service wrote after the last timer check, so the timer's next pass would see another key and
 * could start a second failover for the same outage. Read afresh, both paths name the same.
 *
 * Never throws: the heartbeat is recorded already, and the timer's next pass is the fallback.
 */
export async function respondToPrimaryStop(
  deps: MonitorDeps & { readonly heartbeats: HeartbeatSource },
  pairId: string,
): Promise<HeartbeatPairResult | undefined> {
  const pair = deps.pairs.find((p) => p.id === pairId);
  if (pair === undefined) return undefined;
  try {
    const result = await monitorPair(deps, pair);
    const trigger = result.trigger;
    deps.logger.warn("Primary's service stopped on its own: decided at once", {
      pair: pair.id,
      state: result.state,
      ...(trigger?.decision ? { action: trigger.decision.action, reason: trigger.decision.reason, outcome: trigger.outcome.kind } : {}),
    });
    return result;
  } catch (error) {
    const code = error instanceof WatchdogError ? error.code : 'UNEXPECTED';
    deps.logger.error("deciding on the Primary's stop failed; the heartbeat monitor's next pass decides", {
      pair: pair.id,
      code,
      error: error instanceof Error ? error.message : String(error),
    });
    return undefined;
  }
}
