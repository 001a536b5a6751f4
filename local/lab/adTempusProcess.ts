/**
 * The simulated adTempus service of one lab host: a program the host's agent starts and stops
 * through its process-based service control (ADTEMPUS_AGENT_SERVICE_CONTROL=process), as it would
 * the real Windows service. It talks to its database through the lab's database endpoint:
 *
 *   node adTempusProcess.js --lab <url> --host <computer> --database <name>
 *        --heartbeat-ms <n> --backup-ms <n> --backup-folder <dir> [-takedbcontrol] [-norun]
 *
 * - Start: takes the database's ownership lock; while another machine's heartbeat is younger than
 *   the takeover delay it refuses (prints why, exits 2) unless started with -takedbcontrol.
 *   Then prints ADTEMPUS_READY_LINE, as a service reports SERVICE_RUNNING.
 * - Running: writes its heartbeat every --heartbeat-ms and has its database backed up into
 *   --backup-folder every --backup-ms (the first at once). A refused heartbeat means another
 *   machine took control: it stops (exit 4) rather than run beside it.
 * - -norun: runs without executing jobs (the lab shows it as a flag).
 * - SIGTERM: a clean stop, which releases the lock, then exit 0. SIGINT (a console Ctrl+C) is
 *   not for services and is ignored.
 * - Its lab gone (the parent process ended, or the endpoint refuses connections several times in
 *   a row): exits 5, so no orphan outlives a lab.
 *
 * It runs on its own with node (no project modules: node built-ins only), so the lab can run it
 * from dist/ or, from source, transpiled as a single file (see labProgram.ts).
 */
import { request } from 'node:http';

export const ADTEMPUS_READY_LINE = 'adTempus service running';

const LAB_GONE_AFTER_FAILURES = 5;

interface Options {
  readonly lab: string;
  readonly host: string;
  readonly database: string;
  readonly heartbeatMs: number;
  readonly backupMs: number;
  readonly backupFolder: string;
  readonly takeControl: boolean;
  readonly noRun: boolean;
}

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

function parseOptions(argv: readonly string[]): Options {
  const value = (name: string): string => {
    const at = argv.indexOf(name);
    const v = at >= 0 ? argv[at + 1] : undefined;
    if (v === undefined || v.startsWith('-')) throw new Error(`missing ${name}`);
    return v;
  };
  const positive = (name: string): number => {
    const n = Number(value(name));
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive whole number`);
    return n;
  };
  return {
    lab: value('--lab'),
    host: value('--host'),
    database: value('--database'),
    heartbeatMs: positive('--heartbeat-ms'),
    backupMs: positive('--backup-ms'),
    backupFolder: value('--backup-folder'),
    takeControl: argv.includes('-takedbcontrol'),
    noRun: argv.includes('-norun'),
  };
}

function post(url: string, body: Record<string, unknown>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const text = JSON.stringify(body);
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (data += chunk));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: data === '' ? {} : (JSON.parse(data) as Record<string, unknown>) });
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(text);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function run(options: Options): Promise<void> {
  const at = (action: string): string => `${options.lab}/databases/${options.database}/${action}`;
  const me = { host: options.host };
  const parent = process.ppid;
  let stopping = false;
  let failures = 0;

  const labGone = (error: unknown): void => {
    failures = (error as NodeJS.ErrnoException).code === 'ECONNREFUSED' ? failures + 1 : 0;
    if (failures >= LAB_GONE_AFTER_FAILURES || process.ppid !== parent) {
      console.error('adTempus: the lab is gone; exiting');
      process.exit(5);
    }
  };

  // Registered before the lock is taken: a stop during start-up still releases it.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => {
    if (stopping) return;
    stopping = true;
    post(at('release'), me).then(
      () => process.exit(0),
      () => process.exit(0),
    );
  });

  let acquired: Answer;
  try {
    acquired = await post(at('acquire'), { ...me, takeControl: options.takeControl, noRun: options.noRun });
  } catch (error) {
    console.error(`adTempus cannot start: the database server cannot be reached (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    process.exit(3);
  }
  if (acquired.status !== 200) {
    const why = typeof acquired.body['message'] === 'string' ? acquired.body['message'] : `status ${acquired.status}`;
    const line = `adTempus cannot start: ${why}`;
    console.error(line);
    console.log(line);
    process.exit(2);
  }
  console.log(ADTEMPUS_READY_LINE);

  void (async () => {
    while (!stopping) {
      await post(at('backup'), { ...me, folder: options.backupFolder }).catch(labGone);
      await sleep(options.backupMs);
    }
  })();
  while (!stopping) {
    await sleep(options.heartbeatMs);
    if (stopping) break;
    if (process.ppid !== parent) labGone(new Error('parent ended'));
    let beat: Answer;
    try {
      beat = await post(at('heartbeat'), me);
      failures = 0;
    } catch (error) {
      labGone(error);
      continue;
    }
    if (beat.status === 409 && !stopping) {
      console.error(`adTempus lost control of its database: ${String(beat.body['message'])}; stopping`);
      process.exit(4);
    }
  }
}

if (require.main === module) {
  let options: Options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`adTempus (lab): ${(error as Error).message}`);
    process.exit(64);
  }
  run(options).catch((error: unknown) => {
    console.error(`adTempus (lab) failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
