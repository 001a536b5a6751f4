import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessServiceControl } from '../../../agent/service/processServiceControl';
import { isRunning, isStopped, realWaitTiming, waitForState, type ServiceParameter, type ServiceStatus } from '../../../agent/service/serviceControl.port';
import { ADTEMPUS_READY_LINE } from '../../../local/lab/adTempusProcess';
import { decodeLabBackup } from '../../../local/lab/labBackupFile';
import { LabDatabase } from '../../../local/lab/labDatabase';
import { startLabDatabaseServer, type LabDatabaseServer } from '../../../local/lab/labDatabaseServer';
import { labProgramPath } from '../../../local/lab/labProgram';

// The simulated adTempus service as the agent's process-based service control runs it, against
// one lab database: the ownership lock's rules, its heartbeat, clean stop, -norun and backups.
const TAKEOVER_DELAY_MS = 30_000;
const PRIMARY = 'ADT-ERP-PRI';
const SECONDARY = 'ADT-ERP-SEC';

let dir: string;
let program: string;
let restoreProgram: string;
/** This test's backup folder. */
let folder: string;
let server: LabDatabaseServer;
let database: LabDatabase;
let other: LabDatabase;
const controls: ProcessServiceControl[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lab-adtempus-'));
  program = await labProgramPath('adTempusProcess', dir);
  restoreProgram = await labProgramPath('labRestoreCommand', dir);
});

beforeEach(async () => {
  folder = await mkdtemp(join(dir, 'backups-'));
  database = new LabDatabase('adTempusErp', 'Default', TAKEOVER_DELAY_MS);
  other = new LabDatabase('adTempusErpCopy', 'Default', TAKEOVER_DELAY_MS);
  server = await startLabDatabaseServer({ databases: [database, other], responsive: () => Promise.resolve(), log: () => undefined });
});

afterEach(async () => {
  for (const control of controls.splice(0)) await control.kill();
  await server.close();
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function args(host: string): string[] {
  return [program, '--lab', server.url, '--host', host, '--database', database.name, '--heartbeat-ms', '100', '--backup-ms', '60000', '--backup-folder', folder];
}

/** The service of `host` under the agent's own process-based control. */
function service(host: string): ProcessServiceControl {
  const control = new ProcessServiceControl({ command: process.execPath, args: args(host), stateFile: join(dir, `${host}-${controls.length}.json`), readyLine: ADTEMPUS_READY_LINE });
  controls.push(control);
  return control;
}

async function settle(control: ProcessServiceControl, wanted: (s: ServiceStatus) => boolean): Promise<ServiceStatus> {
  const result = await waitForState(control, wanted, { timeoutMs: 10_000, timing: realWaitTiming(20) });
  if (result.outcome !== 'reached') throw new Error(`the service did not get there; last ${JSON.stringify(result.status)}`);
  return result.status;
}

async function started(host: string, parameters: ServiceParameter[] = []): Promise<ProcessServiceControl> {
  const control = service(host);
  await control.start(parameters);
  await settle(control, (s) => s.state !== 'start-pending');
  return control;
}

async function until<T>(read: () => T | Promise<T>, holds: (value: T) => boolean): Promise<T> {
  for (let i = 0; i < 500; i++) {
    const value = await read();
    if (holds(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('the condition never held');
}

function run(file: string, argv: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [file, ...argv], (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }));
  });
}

describe('the simulated adTempus service', () => {
  it('takes a free lock, reports running once it holds it, and keeps its heartbeat fresh', async () => {
    const primary = await started(PRIMARY);

    expect((await primary.query()).state).toBe('running');
    const first = database.lock.row!.heartbeatUtc!.getTime();
    const later = await until(() => database.lock.row!.heartbeatUtc!.getTime(), (t) => t > first);
    expect(later).toBeGreaterThan(first);
    expect(database.lock.owner).toBe(PRIMARY);
  });

  it("refuses to start while another owner's heartbeat is younger than the takeover delay, and says why", async () => {
    await started(PRIMARY);

    const secondary = await started(SECONDARY);
    const direct = await run(program, args(SECONDARY));

    expect(await secondary.query()).toMatchObject({ state: 'stopped' });
    expect(secondary.lastExit()).toMatchObject({ ordered: false, code: 2 });
    expect(direct.code).toBe(2);
    expect(direct.stderr).toMatch(/^adTempus cannot start: the database is owned by ADT-ERP-PRI \(heartbeat \d+ s old; a new owner may take over after 30 s\); start with -takedbcontrol/);
    expect(database.lock.owner).toBe(PRIMARY);
    expect(database.lastRefusal).toMatchObject({ host: SECONDARY });
  });

  it('takes the lock at once with -takedbcontrol, and the old owner stops when its next heartbeat is refused', async () => {
    const primary = await started(PRIMARY);

    const secondary = await started(SECONDARY, ['-takedbcontrol']);
    await settle(primary, isStopped);

    expect((await secondary.query()).state).toBe('running');
    expect(database.lock.owner).toBe(SECONDARY);
    expect(primary.lastExit()).toMatchObject({ ordered: false, code: 4 });
  });

  it("takes over without -takedbcontrol once the owner's heartbeat is older than the takeover delay", async () => {
    database.lock.replace({ owner: PRIMARY, heartbeatUtc: new Date(database.table.now().getTime() - TAKEOVER_DELAY_MS - 1_000) });

    const secondary = await started(SECONDARY);

    expect((await secondary.query()).state).toBe('running');
    expect(database.lock.owner).toBe(SECONDARY);
  });

  it('releases the lock on a clean stop and keeps its last heartbeat time', async () => {
    const primary = await started(PRIMARY);

    await primary.stop();
    await settle(primary, isStopped);

    expect(primary.lastExit()).toMatchObject({ ordered: true, code: 0 });
    expect(database.lock.row).toEqual({ owner: null, heartbeatUtc: expect.any(Date) });
    const secondary = await started(SECONDARY);
    expect((await secondary.query()).state).toBe('running');
  });

  it('keeps the lock when it is killed, so a new owner must wait for the takeover delay', async () => {
    const primary = await started(PRIMARY);

    await primary.kill();
    await settle(primary, isStopped);
    const secondary = await started(SECONDARY);

    expect(database.lock.owner).toBe(PRIMARY);
    expect((await secondary.query()).state).toBe('stopped');
  });

  it('runs without jobs when started with -norun, and shows it', async () => {
    await started(PRIMARY, ['-norun']);

    expect(database.session).toMatchObject({ host: PRIMARY, noRun: true });
  });

  it('has its database backed up into the backup folder while it runs, holding the lock as it stood', async () => {
    const primary = await started(PRIMARY);

    const backups = await until(
      async () => (await readdir(folder)).filter((n) => n.endsWith('.bak')),
      (names) => names.length > 0,
    );
    const content = decodeLabBackup(await readFile(join(folder, backups[0]!)));

    expect(isRunning(await primary.query())).toBe(true);
    expect(content).toMatchObject({ database: 'adTempusErp', instanceName: 'Default', owner: PRIMARY, host: PRIMARY, heartbeatUtc: expect.any(String) });
    expect(database.backupsTaken).toBeGreaterThan(0);
  });

  it("restores through the lab's restore utility: the target database gets the backup's lock row", async () => {
    await started(PRIMARY);
    const [name] = await until(
      async () => (await readdir(folder)).filter((n) => n.endsWith('.bak')),
      (names) => names.length > 0,
    );
    const content = decodeLabBackup(await readFile(join(folder, name!)));
    if (typeof content === 'string') throw new Error(content);

    const restored = await run(restoreProgram, ['--lab', server.url, join(folder, name!), other.name]);

    expect(restored).toMatchObject({ code: 0, stdout: expect.stringContaining('100 percent processed.') });
    expect(other.lock.row).toEqual({ owner: PRIMARY, heartbeatUtc: new Date(content.heartbeatUtc!) });
  });

  it('refuses to restore a file that is not a lab backup, with the reason on stderr', async () => {
    const restored = await run(restoreProgram, ['--lab', server.url, program, other.name]);

    expect(restored.code).toBe(1);
    expect(restored.stderr).toContain('not an adTempus lab backup');
    expect(other.lock.row).toBeUndefined();
  });
});
