/**
 * `npm start`: runs the watchdog without the Azure Functions host. With a local.settings.json
 * it uses those settings (real services); without one it starts the lab and uses its settings.
 * The app's own registrations are loaded and its timers run on their NCRONTAB schedules.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { closeAppServices } from '../shared/composition/appServices';
import { installFunctionsCore } from './installFunctionsCore';
import { getRegistrations } from './functionsCore';
import { sentNotifications, startLabControl } from './lab/labControl';
import { startLab, type Lab } from './lab/startLab';
import { scheduleTimer, type ScheduledTimer } from './timerScheduler';

const log = (line: string): void => console.log(`[${new Date().toISOString()}] ${line}`);

async function main(): Promise<void> {
  installFunctionsCore();
  const settingsFile = join(process.cwd(), 'local.settings.json');
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

  // Loading the entry point validates the configuration and registers every function.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('../functions/index');
  const timers: ScheduledTimer[] = [];
  for (const registration of getRegistrations().values()) {
    if (Object.values(registration.metadata.bindings).some((b) => b.type === 'timerTrigger')) {
      timers.push(scheduleTimer(registration, process.env, log));
    }
  }
  for (const t of timers) log(`timer ${t.name} runs on "${t.schedule}" (next ${t.nextRun()?.toISOString() ?? 'never'})`);

  let control: { port: number; close(): Promise<void> } | undefined;
  if (lab) {
    control = await startLabControl(lab, lab.ports.control);
    printLabHelp(lab, control.port);
    watchNotifications(lab);
  }

  const stop = async (): Promise<void> => {
    log('stopping');
    for (const t of timers) t.stop();
    await closeAppServices();
    await control?.close();
    await lab?.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

function printLabHelp(lab: Lab, controlPort: number): void {
  const c = `http://127.0.0.1:${controlPort}`;
  console.log(`
The watchdog is running against the lab. Pairs: ${lab.pairs.map((p) => p.id).join(', ')}.
  Lab state:            curl ${c}/lab
  Notifications sent:   curl ${c}/lab/notifications
  Hang the erp Primary: curl -X POST ${c}/lab/pairs/erp/primary/hang    (stale alert after about 80 s)
  Bring it back:        curl -X POST ${c}/lab/pairs/erp/primary/start   (resolved message)
  Stop it cleanly:      curl -X POST ${c}/lab/pairs/erp/primary/stop    (lock released)
  Stop backups:         curl -X POST ${c}/lab/pairs/payroll/backups/pause (stale backup after 60 min)
  Cut the database off: curl -X POST ${c}/lab/sql/cut                   (unreachable alert)
Notifications are printed here as they arrive. Ctrl+C stops everything.
`);
}

function watchNotifications(lab: Lab): void {
  let seen = 0;
  setInterval(() => {
    const all = sentNotifications(lab);
    for (const n of all.slice(seen)) log(`notification (${n.channel} → ${n.to}): ${n.title}`);
    seen = all.length;
  }, 1_000).unref();
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
