import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_LAB_PORTS, labPairs, labSettings } from '../../../local/lab/labSettings';
import { loadConfig } from '../../../shared/config/loadConfig';

/** The JSON block that follows `<!-- example:NAME -->` in README.md. */
function readmeExample(name: string): unknown {
  const readme = readFileSync(join(__dirname, '../../../README.md'), 'utf8');
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
