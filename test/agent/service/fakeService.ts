import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessServiceControl, type ProcessServiceOptions } from '../../../agent/service/processServiceControl';
import { FAKE_SERVICE_SOURCE } from './fixtures/fakeServiceSource';
import { realWaitTiming, waitForState, type ServiceControl, type ServiceStatus, type WaitTiming } from '../../../agent/service/serviceControl.port';

export type Behaviour = 'normal' | 'stubborn' | 'fails-to-start';

/** Fast polling with real time: the fake service reacts within milliseconds. */
export const fastTiming: WaitTiming = realWaitTiming(10);

/** A ProcessServiceControl over fixtures/fakeService.js in a temp folder, and what a test needs around it. */
export interface FakeService {
  readonly dir: string;
  readonly options: ProcessServiceOptions;
  readonly control: ProcessServiceControl;
  /** A second control over the same state file: the agent after a restart. */
  reopen(): ProcessServiceControl;
  /** The parameters of every start so far, oldest first. */
  starts(): Promise<{ pid: number; parameters: string[] }[]>;
  waitFor(control: ServiceControl, wanted: (s: ServiceStatus) => boolean, timeoutMs?: number): Promise<ServiceStatus>;
  /** Resolves once `count` starts have reached the point where the process handles signals. */
  ready(count?: number): Promise<void>;
  /** Ends every process this fake started (SIGKILL) and removes the folder. */
  cleanUp(): Promise<void>;
}

export async function fakeService(behaviour: Behaviour = 'normal'): Promise<FakeService> {
  const dir = await mkdtemp(join(tmpdir(), 'agent-svc-'));
  const record = join(dir, 'starts.jsonl');
  const script = join(dir, 'fakeService.js');
  await writeFile(script, FAKE_SERVICE_SOURCE);
  const options: ProcessServiceOptions = { command: process.execPath, args: [script, record, behaviour], stateFile: join(dir, 'process-service.json'), readyLine: 'ready' };
  const starts = async (): Promise<{ pid: number; parameters: string[] }[]> => {
    try {
      return (await readFile(record, 'utf8'))
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { pid: number; parameters: string[] });
    } catch {
      return [];
    }
  };
  const control = new ProcessServiceControl(options);
  return {
    dir,
    options,
    control,
    reopen: () => new ProcessServiceControl(options),
    starts,
    async waitFor(control, wanted, timeoutMs = 10_000) {
      const result = await waitForState(control, wanted, { timeoutMs, timing: fastTiming });
      if (result.outcome !== 'reached') throw new Error(`service did not reach the wanted state; last ${JSON.stringify(result.status)}`);
      return result.status;
    },
    async ready(count = 1) {
      for (let i = 0; i < 1_000; i++) {
        // Its record is written, and its "ready" line has reached this control.
        if ((await starts()).length >= count && (await control.query()).state !== 'start-pending') return;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      throw new Error(`the fake service did not report ${count} start(s)`);
    },
    async cleanUp() {
      for (const { pid } of await starts()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
