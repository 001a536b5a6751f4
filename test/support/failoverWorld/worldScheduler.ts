import type { VirtualClock } from '../durableHarness';

/** Node's names for file-system requests in flight (the agents' state files are real files). */
const FILE_IO = /^(FSReq|FileHandle|CloseReq)/;

function fileIoPending(): boolean {
  return process.getActiveResourcesInfo().some((name) => FILE_IO.test(name));
}

/**
 * Runs the world's own asynchronous work (agents, deliveries, replies) on the virtual clock and
 * tells when all of it has come to rest. Apart from the agents' state files everything here is
 * promise chains, so the world is at rest once the microtask queue is drained and no file
 * request is in flight: every task then waits for virtual time (`sleep`), for another task (a
 * mutex held across a sleep), or forever (`park`, a crashed process). Only then may the clock move.
 * One world per process at a time: the file check sees the whole process.
 */
export class WorldScheduler {
  /** Errors thrown by the world's own code: a bug in the test world, reported by the run. */
  readonly faults: unknown[] = [];

  constructor(readonly clock: VirtualClock) {}

  nowMs(): number {
    return this.clock.now().getTime();
  }

  /** Calls `work` `delayMs` from now; a promise it returns is watched for errors. Returns a cancel. */
  after(delayMs: number, work: () => unknown): () => void {
    return this.clock.schedule(new Date(this.nowMs() + Math.max(0, Math.round(delayMs))), () => this.spawn(work));
  }

  /** Calls `work` every `intervalMs`, first after `firstDelayMs`, while `keepGoing()` holds. */
  every(intervalMs: number, firstDelayMs: number, work: () => unknown, keepGoing: () => boolean = () => true): void {
    const tick = (): unknown => {
      if (!keepGoing()) return undefined;
      this.after(intervalMs, tick);
      return work();
    };
    this.after(firstDelayMs, tick);
  }

  spawn(work: () => unknown): void {
    try {
      Promise.resolve(work()).catch((error: unknown) => void this.faults.push(error));
    } catch (error) {
      this.faults.push(error);
    }
  }

  /** Waits `ms` of virtual time; a task whose process died meanwhile (`alive()` false) never resumes. */
  sleep(ms: number, alive: () => boolean = () => true): Promise<void> {
    return new Promise((resolve) => {
      this.clock.schedule(new Date(this.nowMs() + Math.max(0, Math.round(ms))), () => {
        if (alive()) resolve();
      });
    });
  }

  /** What a crashed process's pending call does: nothing, ever. */
  park(): Promise<never> {
    return new Promise<never>(() => undefined);
  }

  /** Resolves once the microtask queue is drained and no file request is in flight. */
  async rest(): Promise<void> {
    for (let round = 0; ; round++) {
      await new Promise((resolve) => setImmediate(resolve));
      if (!fileIoPending()) return;
      if (round > 200_000) throw new Error(`the test world never came to rest: ${process.getActiveResourcesInfo().join(', ')}`);
    }
  }
}
