import type { FenceRecord } from '../../../shared/contracts/fenceRecord';
import { sameHost } from '../../../shared/domain/pair';
import type { LockTable } from './lockTable';
import type { SimulatedAdTempus } from './simulatedAdTempus';

/** What the safety rules look at, read at the moment something changes. */
export interface SafetyView {
  readonly primary: SimulatedAdTempus;
  readonly secondary: SimulatedAdTempus;
  /** The database holding the Primary's lock (the shared one, or the Primary's own copy). */
  readonly primaryDatabase: LockTable;
  readonly takeoverDelaySeconds: number;
  fence(): FenceRecord | undefined;
  /** True once the Primary's agent has sent a succeeded reply to a stopService. */
  primaryStopConfirmed(): boolean;
  nowIso(): string;
}

/**
 * DESIGN.md's safety rules, checked on every change of the world rather than at the end, so a
 * split brain that lasted one simulated second is caught too:
 * - never two adTempus services of the pair running (or starting) at once on live hosts;
 * - the Secondary never starts before the fence record names it, nor before the Primary's stop
 *   was confirmed by its agent or the Primary's lock heartbeat is released or older than the
 *   takeover delay.
 */
export class SafetyMonitor {
  readonly violations: string[] = [];

  constructor(private readonly view: SafetyView) {}

  serviceChanged(): void {
    const { primary, secondary } = this.view;
    if (primary.active && secondary.active) {
      this.violate(`two adTempus services run: ${primary.host} is ${primary.state} and ${secondary.host} is ${secondary.state}`);
    }
  }

  serviceStarting(service: SimulatedAdTempus): void {
    const { view } = this;
    if (service !== view.secondary) return;
    const fence = view.fence();
    if (fence === undefined || !sameHost(fence.activeHost, service.host)) {
      this.violate(`the Secondary was started while the fence record names ${fence?.activeHost ?? 'no host (the Primary is active)'}`);
    }
    if (view.primaryStopConfirmed()) return;
    const row = view.primaryDatabase.read();
    const released = row.owner === null || !sameHost(row.owner, view.primary.host);
    const age = view.primaryDatabase.ageSeconds();
    if (released || (age !== undefined && age > view.takeoverDelaySeconds)) return;
    const ageText = age === undefined ? 'of unknown age' : `${age} s old`;
    this.violate(
      `the Secondary was started without a confirmed stop of the Primary while the Primary's lock heartbeat is ${ageText} (takeover delay ${view.takeoverDelaySeconds} s)`,
    );
  }

  violate(what: string): void {
    this.violations.push(`${this.view.nowIso()}: ${what}`);
  }
}
