import { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { OrchestrationContext } from 'durable-functions';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalDurableRuntime, type LocalDurableRuntime } from '../../../local/durable/localDurableRuntime';
import { orchestrationClientFor } from '../../../shared/composition/orchestrationClient';
import { VirtualClock } from '../../support/durableHarness';

const waitsForGo = 'localRuntimeWaitsForGo';
const shout = 'localRuntimeShout';
df.app.activity(shout, { handler: (text: unknown) => `${String(text).toUpperCase()}!` });
df.app.orchestration(waitsForGo, function* (context: OrchestrationContext) {
  const answer: string = yield context.df.waitForExternalEvent('go');
  const result: unknown = yield context.df.callActivity(shout, `${String(context.df.getInput())} ${answer}`);
  return result;
});

let root: string;
let sequence = 0;
const running: LocalDurableRuntime[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'local-durable-runtime-'));
});

afterEach(async () => {
  for (const runtime of running.splice(0)) await runtime.stop();
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function start(directory: string, lines: string[] = []): Promise<LocalDurableRuntime> {
  const runtime = await startLocalDurableRuntime({ directory, clock: new VirtualClock(), log: (line) => lines.push(line) });
  running.push(runtime);
  return runtime;
}

const anInvocation = (): InvocationContext => new InvocationContext({ functionName: 'requestFailover', invocationId: 'test' });

describe('startLocalDurableRuntime', () => {
  it('hands every trigger an orchestration client over the local engine, and the host client back when stopped', async () => {
    const runtime = await start(join(root, `runtime-${++sequence}`));

    expect(orchestrationClientFor(anInvocation())).toBe(runtime.client);
    await expect(runtime.client.start(waitsForGo, 'failover-erp', 'erp')).resolves.toEqual({ started: true });
    await runtime.engine.whenIdle();
    expect(await orchestrationClientFor(anInvocation()).getStatus('failover-erp')).toMatchObject({ runtimeStatus: 'Running', input: 'erp' });

    await runtime.stop();

    // The host's client again: outside the host it finds no durable client binding.
    expect(() => orchestrationClientFor(anInvocation())).toThrow(/durable client input binding/);
  });

  it('keeps history on disk, so a runtime started later over the same directory resumes the instance where it waited', async () => {
    const directory = join(root, `runtime-${++sequence}`);
    const first = await start(directory);
    await first.client.start(waitsForGo, 'failover-erp', 'erp');
    await first.engine.whenIdle();
    await first.stop();

    const lines: string[] = [];
    const second = await start(directory, lines);
    expect(second.resumed).toBe(1);
    await expect(second.client.raiseEvent('failover-erp', 'go', 'now')).resolves.toBe(true);
    await second.engine.whenIdle();

    expect(await second.client.getStatus('failover-erp')).toMatchObject({ runtimeStatus: 'Completed', output: 'ERP NOW!' });
    expect(await readdir(directory)).toEqual(['failover-erp.json']);
  });

  it('resumes nothing in an empty directory', async () => {
    const runtime = await start(join(root, `runtime-${++sequence}`));

    expect(runtime.resumed).toBe(0);
  });
});
