import type { ServiceState } from '../../shared/contracts/agentCommands';
import type { AgentState } from './agentState';

/**
 * Whether the service's last stop was ordered (by a command or by the fence guard) or happened on
 * its own (a crash: the watchdog may restart it in place). The flag is persisted so a restart of
 * the agent does not turn an ordered stop into an apparent crash.
 *
 * Rules: an ordered stop sets it; an ordered start clears it; the service seen running again
 * after not running clears it too (someone started it outside the agent, so its next stop is not
 * one the agent ordered).
 */
export class ServiceActivity {
  private lastState: ServiceState | undefined;
  private sinceIso: string | undefined;

  constructor(
    private readonly state: AgentState,
    private readonly now: () => Date,
  ) {}

  get stopOrdered(): boolean {
    return this.state.service?.stopOrdered ?? false;
  }

  /** When the service entered its current state, if this agent saw it change. */
  get since(): string | undefined {
    return this.sinceIso;
  }

  /** Call before asking the service to stop, so a heartbeat taken during the stop already says "ordered". */
  stopOrdering(): Promise<void> {
    return this.state.rememberStopOrdered(true);
  }

  startOrdering(): Promise<void> {
    return this.state.rememberStopOrdered(false);
  }

  async observe(state: ServiceState): Promise<void> {
    const previous = this.lastState;
    this.lastState = state;
    if (previous === undefined || previous === state) return;
    this.sinceIso = this.now().toISOString();
    if (state === 'running' && this.stopOrdered) await this.state.rememberStopOrdered(false);
  }
}
