export interface RegistryValue {
  readonly type: string;
  readonly data: string;
}

/**
 * Parses `reg query <key>` output: a line with the key, then one line per value, indented by
 * four spaces, with name, type and data separated by four spaces (names may contain spaces).
 * Value names compare case-insensitively in the registry, so the map is keyed in lower case.
 */
export function parseRegQuery(text: string): ReadonlyMap<string, RegistryValue> {
  const values = new Map<string, RegistryValue>();
  for (const line of text.split(/\r?\n/)) {
    const match = /^ {4}(.+?) {4}(REG_[A-Z_]+)(?: {4}(.*))?$/.exec(line);
    if (!match) continue;
    values.set(match[1]!.toLowerCase(), { type: match[2]!, data: (match[3] ?? '').trimEnd() });
  }
  return values;
}
