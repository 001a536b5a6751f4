import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { closeAppServices } from '../shared/composition/appServices';
import { DEFAULT_HISTORY_DIRECTORY } from './durable/fileHistoryStore';
import { startLocalDurableRuntime, type LocalDurableRuntime } from './durable/localDurableRuntime';
import { getRegistrations } from './functionsCore';
import { startHttpHost, type HttpHost } from './http/httpHost';
import { httpPortOf } from './http/httpPort';
import { routePrefixOf } from './http/routePrefix';
import { startLabControl } from './lab/labControl';
import { startLab, type Lab, type LabOptions } from './lab/startLab';
import { startServiceBusTriggerHost, type ServiceBusTriggerHost } from './servicebus/serviceBusTriggerHost';
import { scheduleTimer, type ScheduledTimer } from './timerScheduler';

export interface LocalHostOptions {
  /**
   * Real connection settings (local.settings.json's Values): the watchdog runs against them and no
   * lab is started. Without them the lab is the watchdog's world: `lab` when given, else a new one.
   */
  readonly settings?: Readonly<Record<string, string>>;
  /** A lab already running; the local host uses it and leaves it running when it stops. */
  readonly lab?: Lab;
  /** For a lab this local host starts (ports, heartbeat, adjusted pairs). */
  readonly labOptions?: Omit<LabOptions, 'log'>;
  /** Settings applied over the lab's or the given ones (e.g. shorter SQL timeouts). */
  readonly overrides?: Readonly<Record<string, string>>;
  /**
   * False (npm start): a variable already in the environment wins over the settings, as with the
   * Functions host. True (tests, benchmarks): the settings win, so nothing from the caller's
   * environment points the watchdog at another lab.
   */
  readonly replaceEnvironment?: boolean;
  /** Where durable history lives; default .local/durable/lab or .local/durable/live under projectRoot. */
  readonly historyDirectory?: string;
  /** HTTP port for the app's routes; default WATCHDOG_HTTP_PORT or 7071; 0 picks a free port. */
  readonly httpPort?: number;
  /** The lab control routes' port (labs only); default the lab's configured control port; 0 picks a free port. */
  readonly controlPort?: number;
  /** Where host.json is read from; default the working directory. */
  readonly projectRoot?: string;
  readonly log?: (line: string) => void;
}

export interface LocalHost {
  /** The lab the watchdog runs against, if it runs against one. */
  readonly lab: Lab | undefined;
  /** The settings the watchdog runs with (also applied to process.env). */
  readonly settings: Readonly<Record<string, string>>;
  /** The app's HTTP routes, e.g. `http://127.0.0.1:7071/api`. */
  readonly apiUrl: string;
  readonly http: HttpHost;
  readonly durable: LocalDurableRuntime;
  readonly timers: readonly ScheduledTimer[];
  readonly serviceBus: ServiceBusTriggerHost;
  /** Lab control over HTTP (labs only): `http://127.0.0.1:<port>`. */
  readonly controlUrl: string | undefined;
  /** Stops everything it started, in the reverse order; a lab it was given is left running. */
  stop(): Promise<void>;
}

/**
 * The watchdog on one machine without the Functions host: the app's own registrations (functions/
 * index registers every trigger, the failover orchestration and its activities) run on their real
 * triggers: timers on their NCRONTAB schedules, HTTP routes on localhost, Service Bus queue
 * triggers, and durable orchestrations on the local engine with their history on disk.
 *
 * The app's composition (appServices) and registrations are process-wide and read process.env, so
 * one local host runs per process (per jest test file). `@azure/functions-core` must resolve to the
 * local stand-in before this runs: start.ts installs it, jest maps it.
 */
export async function startLocalHost(options: LocalHostOptions = {}): Promise<LocalHost> {
  const log = options.log ?? (() => undefined);
  const projectRoot = options.projectRoot ?? process.cwd();
  const stops: (() => Promise<void>)[] = [];
  const timers: ScheduledTimer[] = [];
  const stopAll = async (): Promise<void> => {
    // Timers first: no new pass starts, and a pass in progress finishes, before what it uses closes.
    await Promise.all(timers.splice(0).map((t) => t.stop()));
    for (const stop of stops.splice(0).reverse()) await stop().catch((error: unknown) => log(`stopping: ${error instanceof Error ? error.message : String(error)}`));
  };
  try {
    let lab: Lab | undefined;
    if (options.settings === undefined) {
      lab = options.lab;
      if (!lab) {
        const started = await startLab({ ...options.labOptions, log });
        stops.push(() => started.stop());
        lab = started;
      }
    }
    const settings = { ...(options.settings ?? lab!.settings), ...options.overrides };
    for (const [name, value] of Object.entries(settings)) {
      if (options.replaceEnvironment === true) process.env[name] = value;
      else process.env[name] ??= value;
    }
    // Whatever happens next, the composition built from these settings is closed on stop.
    stops.push(() => closeAppServices());

    // Loading the entry point validates the configuration and registers every trigger.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('../functions/index');

    // Before any trigger runs: triggers that start orchestrations get the local engine's client.
    // Lab and real runs keep separate histories, so a lab failover is never resumed against real services.
    const historyDirectory = options.historyDirectory ?? join(projectRoot, DEFAULT_HISTORY_DIRECTORY, lab ? 'lab' : 'live');
    // A lab is built afresh on every start (in-memory storage, new simulated hosts): a failover
    // resumed from an earlier lab would act on hosts that never saw it, so its history goes too.
    if (lab) await rm(historyDirectory, { recursive: true, force: true });
    const durable = await startLocalDurableRuntime({ directory: historyDirectory, log });
    stops.push(() => durable.stop());
    log(`durable orchestrations run locally; history in ${historyDirectory} (${durable.resumed} unfinished instance(s) resumed)`);

    for (const registration of getRegistrations().values()) {
      if (Object.values(registration.metadata.bindings).some((b) => b.type === 'timerTrigger')) timers.push(scheduleTimer(registration, process.env, log));
    }
    for (const t of timers) log(`timer ${t.name} runs on "${t.schedule}" (next ${t.nextRun()?.toISOString() ?? 'never'})`);

    const routePrefix = routePrefixOf(join(projectRoot, 'host.json'));
    const http = await startHttpHost({ registrations: getRegistrations().values(), port: options.httpPort ?? httpPortOf(process.env), routePrefix, log });
    stops.push(() => http.close());
    const apiUrl = routePrefix === '' ? http.baseUrl : `${http.baseUrl}/${routePrefix}`;

    const serviceBus = startServiceBusTriggerHost({ registrations: getRegistrations().values(), settings: process.env, log });
    stops.push(() => serviceBus.close());

    let controlUrl: string | undefined;
    if (lab) {
      const control = await startLabControl(lab, options.controlPort ?? lab.ports.control, { apiUrl });
      stops.push(() => control.close());
      controlUrl = `http://127.0.0.1:${control.port}`;
    }

    return { lab, settings, apiUrl, http, durable, timers, serviceBus, controlUrl, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
