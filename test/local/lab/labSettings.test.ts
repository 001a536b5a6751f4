import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LAB_ROUTES, matchLabRoute } from '../../../local/lab/labRoutes';
import { DEFAULT_LAB_PORTS, labPairs, labSettings } from '../../../local/lab/labSettings';
import { loadConfig } from '../../../shared/config/loadConfig';

const readme = readFileSync(join(__dirname, '../../../README.md'), 'utf8');

/** The JSON block that follows `<!-- example:NAME -->` in README.md. */
function readmeExample(name: string): unknown {
  const match = new RegExp(`<!-- example:${name} -->\\s*\`\`\`json\\n([\\s\\S]*?)\\n\`\`\``).exec(readme);
  if (!match) throw new Error(`README.md has no example:${name} block`);
  return JSON.parse(match[1]!);
}

describe('the README configuration example', () => {
  it('is exactly the pairs the lab runs', () => {
    expect(readmeExample('pairs')).toEqual(labPairs(DEFAULT_LAB_PORTS));
  });

  it('is exactly the settings the lab runs', () => {
    const { WATCHDOG_PAIRS: _pairs, ...settings } = labSettings(DEFAULT_LAB_PORTS);
    expect(readmeExample('settings')).toEqual(settings);
  });

  it('loads as a valid configuration with one shared and one copied pair', () => {
    const settings = { ...(readmeExample('settings') as Record<string, string>), WATCHDOG_PAIRS: JSON.stringify(readmeExample('pairs')) };
    const config = loadConfig(settings);
    expect(config.pairs.map((p) => [p.id, p.strategy])).toEqual([
      ['erp', 'shared'],
      ['payroll', 'copied'],
    ]);
  });
});

describe("the README's lab section", () => {
  it('lists exactly the lab control routes the lab serves', () => {
    const table = /<!-- example:lab-routes -->\n((?:\|.*\n)+)/.exec(readme)?.[1];
    if (table === undefined) throw new Error('README.md has no example:lab-routes table');
    const documented = [...table.matchAll(/^\| `(GET|POST) ([^`]+)` \| (.+) \|$/gm)].map((m) => `${m[1]!} ${m[2]!}: ${m[3]!}`);

    expect(documented).toEqual(LAB_ROUTES.map((r) => `${r.method} ${r.path}: ${r.does}`));
  });

  it('shows only curl examples that name a lab route and a pair of the lab', () => {
    const examples = [...readme.matchAll(/curl (-X POST )?http:\/\/127\.0\.0\.1:(\d+)(\/lab\S*)/g)];
    const pairIds = (labPairs(DEFAULT_LAB_PORTS) as { id: string }[]).map((p) => p.id);

    expect(examples.length).toBeGreaterThanOrEqual(5);
    for (const [, post, port, path] of examples) {
      const match = matchLabRoute(post ? 'POST' : 'GET', path!);
      expect({ path, port: Number(port), served: match !== undefined }).toEqual({ path, port: DEFAULT_LAB_PORTS.control, served: true });
      if (match?.params.id !== undefined) expect(pairIds).toContain(match.params.id);
    }
  });
});
