import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { format } from 'node:util';
import { sentNotifications, type SentNotification } from '../../local/lab/labControl';
import { ANY_LAB_PORTS } from '../../local/lab/labSettings';
import type { LabState } from '../../local/lab/labState';
import type { LabOptions } from '../../local/lab/startLab';
import { startLocalHost, type LocalHost } from '../../local/localHost';

/**
 * The whole watchdog against a lab on free ports, as `npm start` runs it: the app's real
 * registrations on their real triggers, durable history in a temporary folder. One per test file
 * (the app's composition is process-wide). Tests act through the lab control routes and read
 * through the watchdog's HTTP API, the sinks and the lab's state.
 */
export interface E2eWatchdog {
  readonly host: LocalHost;
  /** GET on the watchdog's API (`/pairs/erp`): status and JSON body. */
  api<T = Record<string, unknown>>(path: string): Promise<{ readonly status: number; readonly body: T }>;
  /** POST on the lab control routes (`/lab/pairs/erp/primary/crash`): the sentence saying what happened. */
  control(path: string): Promise<string>;
  labState(): Promise<LabState>;
  notifications(): SentNotification[];
  stop(): Promise<void>;
}

export async function startE2eWatchdog(labOptions: Omit<LabOptions, 'log' | 'ports'> = {}): Promise<E2eWatchdog> {
  const history = await mkdtemp(join(tmpdir(), 'e2e-durable-'));
  const saved = { ...process.env };
  const lines: string[] = [];
  const keep = (line: string): void => void (process.env['E2E_LOG'] === '1' ? process.stdout.write(`${line}\n`) : lines.push(line));
  // The app logs through InvocationContext, which outside the host writes to the console: kept
  // aside (E2E_LOG=1 prints it) so a test's output shows its failures. Errors still go to the console.
  const consoleSaved = { log: console.log, info: console.info, warn: console.warn, debug: console.debug };
  for (const level of ['log', 'info', 'warn', 'debug'] as const) console[level] = (...args: unknown[]) => keep(format(...args));
  const host = await startLocalHost({
    labOptions: { ...labOptions, ports: ANY_LAB_PORTS },
    replaceEnvironment: true,
    historyDirectory: history,
    httpPort: 0,
    controlPort: 0,
    log: keep,
  });
  const lab = host.lab!;
  return {
    host,
    async api<T>(path: string) {
      const res = await fetch(`${host.apiUrl}${path}`);
      return { status: res.status, body: (await res.json()) as T };
    },
    async control(path: string) {
      const res = await fetch(`${host.controlUrl!}${path}`, { method: 'POST' });
      const body = (await res.json()) as { done?: string; error?: string };
      if (res.status !== 200) throw new Error(`POST ${path}: ${res.status} ${body.error ?? ''}`);
      return body.done ?? '';
    },
    labState: () => lab.state(),
    notifications: () => sentNotifications(lab),
    async stop() {
      // The local host started the lab, so it stops it too.
      await host.stop();
      process.env = saved;
      await rm(history, { recursive: true, force: true });
      Object.assign(console, consoleSaved);
    },
  };
}

/**
 * Polls until `holds` is true and returns the value that held. The bound only stops a hung test;
 * it is not part of what the test asserts.
 */
export async function eventually<T>(read: () => Promise<T> | T, holds: (value: T) => boolean, what: string, boundMs = 120_000): Promise<T> {
  const until = Date.now() + boundMs;
  let last: T | undefined;
  for (;;) {
    last = await read();
    if (holds(last)) return last;
    if (Date.now() > until) throw new Error(`${what} never held; last seen: ${JSON.stringify(last)?.slice(0, 2_000)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Reads `read` every 250 ms for `forMs` and returns every value seen, to assert something never happened. */
export async function observe<T>(read: () => Promise<T> | T, forMs: number): Promise<T[]> {
  const seen: T[] = [];
  const until = Date.now() + forMs;
  while (Date.now() < until) {
    seen.push(await read());
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  seen.push(await read());
  return seen;
}
