/**
 * `npm start`: runs the watchdog without the Azure Functions host. With a local.settings.json
 * it uses those settings (real services); without one it starts the lab and uses its settings.
 * The app's own registrations are loaded and run as the host would run them: timers on their
 * NCRONTAB schedules, HTTP routes on localhost, Service Bus queue triggers (when a connection is
 * configured), and durable orchestrations on the local engine with their history on disk.
 */
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { closeAppServices } from '../shared/composition/appServices';
import { DEFAULT_HISTORY_DIRECTORY } from './durable/fileHistoryStore';
import { startLocalDurableRuntime, type LocalDurableRuntime } from './durable/localDurableRuntime';
import { installFunctionsCore } from './installFunctionsCore';
import { getRegistrations } from './functionsCore';
import { startHttpHost, type HttpHost } from './http/httpHost';
import { httpPortOf, HTTP_PORT_SETTING } from './http/httpPort';
import { routePrefixOf } from './http/routePrefix';
import { sentNotifications, startLabControl } from './lab/labControl';
import { startLab, type Lab } from './lab/startLab';
import { startServiceBusTriggerHost, type ServiceBusTriggerHost } from './servicebus/serviceBusTriggerHost';
import { scheduleTimer, type ScheduledTimer } from './timerScheduler';

const log = (line: string): void => console.log(`[${new Date().toISOString()}] ${line}`);

async function main(): Promise<void> {
  installFunctionsCore();
  const projectRoot = process.cwd();
  const settingsFile = join(projectRoot, 'local.settings.json');
  let lab: Lab | undefined;
  let settings: Record<string, string>;
  if (existsSync(settingsFile)) {
    settings = (JSON.parse(readFileSync(settingsFile, 'utf8')) as { Values?: Record<string, string> }).Values ?? {};
    log(`using settings from ${settingsFile}`);
  } else {
    log('no local.settings.json: starting the lab (Azurite, simulated SQL Servers and adTempus, Teams and SMTP sinks)');
    lab = await startLab({ log });
    settings = lab.settings;
  }
  for (const [name, value] of Object.entries(settings)) process.env[name] ??= value;

  // Loading the entry point validates the configuration and registers every trigger. The failover
  // orchestration and its activities are loaded too (a second require of a module is a no-op).
  /* eslint-disable @typescript-eslint/no-require-imports */
  require('../functions/index');
  require('../orchestrations/failover/failover.orchestrator');
  require('../orchestrations/failover/activities');
  /* eslint-enable @typescript-eslint/no-require-imports */

  // Before any trigger runs: triggers that start orchestrations get the local engine's client.
  // Lab and real runs keep separate histories, so a lab failover is never resumed against real services.
  const historyDirectory = join(projectRoot, DEFAULT_HISTORY_DIRECTORY, lab ? 'lab' : 'live');
  // The lab is built afresh on every start (in-memory storage, new simulated hosts): a failover
  // resumed from an earlier lab would act on hosts that never saw it, so its history goes too.
  if (lab) await rm(historyDirectory, { recursive: true, force: true });
  const durable: LocalDurableRuntime = await startLocalDurableRuntime({ directory: historyDirectory, log });
  log(`durable orchestrations run locally; history in ${historyDirectory} (${durable.resumed} unfinished instance(s) resumed)`);

  const timers: ScheduledTimer[] = [];
  for (const registration of getRegistrations().values()) {
    if (Object.values(registration.metadata.bindings).some((b) => b.type === 'timerTrigger')) {
      timers.push(scheduleTimer(registration, process.env, log));
    }
  }
  for (const t of timers) log(`timer ${t.name} runs on "${t.schedule}" (next ${t.nextRun()?.toISOString() ?? 'never'})`);

  const routePrefix = routePrefixOf(join(projectRoot, 'host.json'));
  const http: HttpHost = await startHttpHost({ registrations: getRegistrations().values(), port: httpPortOf(process.env), routePrefix, log });
  const apiUrl = routePrefix === '' ? http.baseUrl : `${http.baseUrl}/${routePrefix}`;
  for (const r of http.routes) log(`http ${r.functionName}: ${r.methods.join(',')} ${http.baseUrl}/${r.template}`);
  log(`HTTP functions listen on ${http.baseUrl} (${HTTP_PORT_SETTING}); function keys are not checked locally, as with Core Tools`);

  const serviceBus: ServiceBusTriggerHost = startServiceBusTriggerHost({ registrations: getRegistrations().values(), settings: process.env, log });
  for (const q of serviceBus.listening) log(`service bus ${q.functionName} receives from queue ${q.queueName}`);
  for (const s of serviceBus.skipped) log(`service bus ${s.functionName} not started: ${s.reason}`);

  let control: { port: number; close(): Promise<void> } | undefined;
  if (lab) {
    control = await startLabControl(lab, lab.ports.control);
    printLabHelp(lab, control.port, apiUrl);
    watchNotifications(lab);
  } else {
    console.log(`\nThe watchdog is running against the services in ${settingsFile}.\n  Watchdog API: curl ${apiUrl}/pairs\nCtrl+C stops everything.\n`);
  }

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) {
      // A second Ctrl+C: the user does not want to wait for the graceful stop.
      process.exit(130);
    }
    stopping = true;
    log('stopping');
    for (const t of timers) t.stop();
    await Promise.allSettled([serviceBus.close(), http.close()]);
    await durable.stop();
    await closeAppServices();
    await control?.close();
    await lab?.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

function printLabHelp(lab: Lab, controlPort: number, apiUrl: string): void {
  const c = `http://127.0.0.1:${controlPort}`;
  console.log(`
The watchdog is running against the lab. Pairs: ${lab.pairs.map((p) => p.id).join(', ')}.
  Watchdog API:         curl ${apiUrl}/pairs
  Lab state:            curl ${c}/lab
  Notifications sent:   curl ${c}/lab/notifications
  Crash the payroll Primary (copied database): curl -X POST ${c}/lab/pairs/payroll/primary/crash
        the host dies; about 30 s later the watchdog fails over on its own: fence, restore, start, verify
  Crash the erp Primary (shared database):     curl -X POST ${c}/lab/pairs/erp/primary/crash
  Follow the failover:  curl ${apiUrl}/failovers/failover-payroll
  Bring the old Primary back: curl -X POST ${c}/lab/pairs/payroll/primary/start
        its agent finds the fence record naming the Secondary: adTempus stays stopped and Disabled
  Crash only the service (host and agent live): curl -X POST ${c}/lab/pairs/erp/primary/crash-service   (restarted in place)
  Hang the erp Primary: curl -X POST ${c}/lab/pairs/erp/primary/hang    (stale alert; its agent answers, so no automatic failover)
  Cut the watchdog off from the erp database: curl -X POST ${c}/lab/pairs/erp/primary/database/cut   (unreachable alert, no failover)
  Ask for a failover:   curl -X POST ${apiUrl}/pairs/erp/failover -H 'content-type: application/json' -d '{"reason":"drill"}'
Notifications are printed here as they arrive. Ctrl+C stops everything.
`);
}

function watchNotifications(lab: Lab): void {
  // Counted per channel: the list puts every Teams post before every email, so a new post shifts the emails.
  const seen = { teams: 0, email: 0 };
  setInterval(() => {
    const all = sentNotifications(lab);
    for (const channel of ['teams', 'email'] as const) {
      const sent = all.filter((n) => n.channel === channel);
      for (const n of sent.slice(seen[channel])) log(`notification (${n.channel} → ${n.to}): ${n.title}`);
      seen[channel] = sent.length;
    }
  }, 1_000).unref();
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
