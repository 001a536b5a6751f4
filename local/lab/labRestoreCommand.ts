/**
 * The lab's restore utility: what a copied-database Secondary's agent runs as its configured
 * restore command (ADTEMPUS_AGENT_RESTORE_MODE=command), standing in for adTempus's database
 * utility or sqlcmd. It asks the lab's SQL Server to restore the verified backup over the local
 * adTempus database, which brings back the lock row the backup holds (the Primary as owner, with
 * its last heartbeat), as restoring the Primary's database would:
 *
 *   node labRestoreCommand.js --lab <url> <backup file> <database>
 *
 * Prints SQL Server-style progress lines; exits 0 on success, 1 with the reason on stderr.
 * Node built-ins only: it runs on its own (see labProgram.ts).
 */
import { request } from 'node:http';

function restore(lab: string, file: string, database: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ file });
    const req = request(
      `${lab}/databases/${encodeURIComponent(database)}/restore`,
      { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function main(argv: readonly string[]): Promise<number> {
  const at = argv.indexOf('--lab');
  const lab = at >= 0 ? argv[at + 1] : undefined;
  const [file, database] = argv.filter((_, i) => i !== at && i !== at + 1);
  if (lab === undefined || file === undefined || database === undefined) {
    console.error('usage: labRestoreCommand --lab <url> <backup file> <database>');
    return 64;
  }
  console.log(`Restoring ${database} from ${file}`);
  const answer = await restore(lab, file, database);
  let message = answer.text;
  try {
    const parsed = JSON.parse(answer.text) as { message?: unknown };
    if (typeof parsed.message === 'string') message = parsed.message;
  } catch {
    // not JSON: the text says it
  }
  if (answer.status !== 200) {
    console.error(`RESTORE DATABASE failed: ${message}`);
    return 1;
  }
  console.log('100 percent processed.');
  console.log(`RESTORE DATABASE successfully processed ${database}.`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`RESTORE DATABASE failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
