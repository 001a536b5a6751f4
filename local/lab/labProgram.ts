import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as TypeScript from 'typescript';

export type LabProgramName = 'adTempusProcess' | 'labRestoreCommand';

/**
 * The .js file node runs for one of the lab's programs. Built (npm start, benchmarks), it is the
 * compiled file next to this one. From source (jest), the .ts file is transpiled on its own into
 * `scratchDir`: the programs import node built-ins only, so one file is the whole program.
 */
export async function labProgramPath(name: LabProgramName, scratchDir: string): Promise<string> {
  if (__filename.endsWith('.js')) return join(__dirname, `${name}.js`);
  // Loaded only when running from source, where the dev dependency is at hand.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ts = require('typescript') as typeof TypeScript;
  const source = await readFile(join(__dirname, `${name}.ts`), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    fileName: `${name}.ts`,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  });
  if (/require\("\.{1,2}\//.test(outputText)) throw new Error(`${name}.ts must import node built-ins only: it runs on its own`);
  const file = join(scratchDir, `${name}.js`);
  await writeFile(file, outputText);
  return file;
}
