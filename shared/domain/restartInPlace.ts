import type { AgentAssessment } from './agentLiveness';

/**
 * Recovery in place comes before any failover, as Windows failover clustering and Control-M do:
 * a service that stopped on its own while its host lives is restarted where it is, a bounded
 * number of times in a sliding window. Past that bound the fault is not transient and a
 * restart loop would only hide it.
 */
export interface RestartBudget {
  /** Restarts in place counted in the window ending at `now`. */
  readonly used: number;
  readonly max: number;
  readonly windowSeconds: number;
  readonly remaining: number;
  /** The counted restarts, oldest first, as given. */
  readonly counted: readonly string[];
}

/**
 * `restarts` are the times the watchdog ordered a restart in place (ISO 8601, any order). A
 * restart counts while it is younger than the window. A time that does not parse counts too:
 * bad bookkeeping must never turn the bound into an endless restart loop.
 */
export function restartBudget(restarts: readonly string[], max: number, windowSeconds: number, now: Date): RestartBudget {
  const windowStart = now.getTime() - windowSeconds * 1000;
  const counted = restarts
    .filter((at) => {
      const t = Date.parse(at);
      return Number.isNaN(t) || t > windowStart;
    })
    .sort((a, b) => (Date.parse(a) || 0) - (Date.parse(b) || 0));
  const used = counted.length;
  return { used, max, windowSeconds, remaining: Math.max(0, max - used), counted };
}

/**
 * The Primary's service stopped on its own: its agent is alive and reports the service stopped
 * without a stop having been ordered. A fenced agent keeps the service stopped on purpose, so a
 * fenced host never qualifies.
 */
export function stoppedOnItsOwn(agent: AgentAssessment | undefined): boolean {
  return agent !== undefined && agent.alive && agent.serviceState === 'stopped' && !agent.stopOrdered && !agent.fenced;
}
