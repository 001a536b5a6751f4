import type { LogLevel } from '@azure/functions';
import { format } from 'node:util';
import { useOrchestrationClient } from '../../shared/composition/orchestrationClient';
import type { OrchestrationClient } from '../../shared/ports/orchestrationClient.port';
import { DurableEngine } from './durableEngine';
import { systemClock, type EngineClock } from './engineClock';
import { EngineOrchestrationClient } from './engineOrchestrationClient';
import { FileHistoryStore } from './fileHistoryStore';
import type { FunctionResolver } from './registeredFunctions';

export interface LocalDurableRuntimeOptions {
  /** Where instance records live; a later runtime over the same directory resumes them. */
  readonly directory: string;
  readonly log?: (line: string) => void;
  /** The real clock unless a test brings its own. */
  readonly clock?: EngineClock;
  readonly functions?: FunctionResolver;
}

export interface LocalDurableRuntime {
  readonly engine: DurableEngine;
  readonly client: OrchestrationClient;
  readonly directory: string;
  /** Unfinished instances picked up from the directory at start. */
  readonly resumed: number;
  /** Stops the engine (in-flight activity results are dropped and redone on the next start) and restores the host's client. */
  stop(): Promise<void>;
}

const FAULT_CHECK_MS = 2_000;
const STOP_GRACE_MS = 5_000;

/**
 * Durable Functions without the host: the app's orchestrations run on the local engine with their
 * history on disk, and every trigger that asks for an orchestration client gets one over this
 * engine. Starting resumes what a previous run left unfinished, as a restarted host does: completed
 * steps are replayed from history, work in flight is redone, durable timers are re-armed.
 */
export async function startLocalDurableRuntime(options: LocalDurableRuntimeOptions): Promise<LocalDurableRuntime> {
  const log = options.log ?? (() => undefined);
  const store = await FileHistoryStore.open(options.directory, {
    onUnreadable: (file, error) => log(`durable: skipped ${file}, which is not a readable instance record (${describe(error)})`),
  });
  const engine = new DurableEngine({
    clock: options.clock ?? systemClock,
    store,
    ...(options.functions ? { functions: options.functions } : {}),
    // The library calls the handler with the invocation's context as `this`: its name leads each line.
    logHandler: function (this: { functionName?: string } | undefined, level: LogLevel, ...args: unknown[]) {
      log(`[${this?.functionName ?? 'durable'}] ${level === 'information' ? '' : `${level}: `}${format(...args)}`);
    },
  });
  const client = new EngineOrchestrationClient(engine);
  useOrchestrationClient(() => client);
  let resumed: number;
  try {
    resumed = await engine.resumeAll();
  } catch (error) {
    engine.stop();
    useOrchestrationClient(undefined);
    throw error;
  }

  // Nothing else waits on the engine in a long-running host, so its faults (a failed write) are collected here.
  let checking = false;
  const faultWatch = setInterval(() => {
    if (checking) return;
    checking = true;
    engine
      .whenIdle()
      .catch((error: unknown) => log(`durable: the engine failed: ${describe(error)}`))
      .finally(() => (checking = false));
  }, FAULT_CHECK_MS);
  faultWatch.unref();

  let stopped = false;
  return {
    engine,
    client,
    directory: options.directory,
    resumed,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      clearInterval(faultWatch);
      engine.stop();
      useOrchestrationClient(undefined);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([engine.whenIdle().catch(() => undefined), new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_GRACE_MS)))]);
      clearTimeout(timer);
    },
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
