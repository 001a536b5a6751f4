/**
 * `npm start`: runs the watchdog without the Azure Functions host. With a local.settings.json
 * it uses those settings (real services); without one it starts the lab and uses its settings.
 * The app's own registrations are loaded and run as the host would run them: timers on their
 * NCRONTAB schedules, HTTP routes on localhost, Service Bus queue triggers (when a connection is
 * configured), and durable orchestrations on the local engine with their history on disk.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { installFunctionsCore } from './installFunctionsCore';
import { HTTP_PORT_SETTING } from './http/httpPort';
import { sentNotifications } from './lab/labControl';
import type { Lab } from './lab/startLab';
import { startLocalHost } from './localHost';

const log = (line: string): void => console.log(`[${new Date().toISOString()}] ${line}`);

async function main(): Promise<void> {
  installFunctionsCore();
  const projectRoot = process.cwd();
  const settingsFile = join(projectRoot, 'local.settings.json');
  let settings: Record<string, string> | undefined;
  if (existsSync(settingsFile)) {
    settings = (JSON.parse(readFileSync(settingsFile, 'utf8')) as { Values?: Record<string, string> }).Values ?? {};
    log(`using settings from ${settingsFile}`);
  } else {
    log('no local.settings.json: starting the lab (Azurite, simulated SQL Servers and adTempus, Teams and SMTP sinks)');
  }

  const host = await startLocalHost({ ...(settings ? { settings } : {}), projectRoot, log });
  const { http, serviceBus, apiUrl, lab } = host;
  for (const r of http.routes) log(`http ${r.functionName}: ${r.methods.join(',')} ${http.baseUrl}/${r.template}`);
  log(`HTTP functions listen on ${http.baseUrl} (${HTTP_PORT_SETTING}); function keys are not checked locally, as with Core Tools`);
  for (const q of serviceBus.listening) log(`service bus ${q.functionName} receives from queue ${q.queueName}`);
  for (const s of serviceBus.skipped) log(`service bus ${s.functionName} not started: ${s.reason}`);

  if (lab && host.controlUrl !== undefined) {
    printLabHelp(lab, host.controlUrl, apiUrl);
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
    await host.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

function printLabHelp(lab: Lab, c: string, apiUrl: string): void {
  console.log(`
The watchdog is running against the lab. Pairs: ${lab.pairs.map((p) => p.id).join(', ')}.
  Live view:            ${c}/lab/view   (open it in a browser: pairs, heartbeat and backup ages, the failover's steps)
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
