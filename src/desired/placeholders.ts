/** The placeholders a field of desired-state.yaml may use, and their substitution. */
export type PlaceholderName = 'version' | 'versionDir' | 'root';

const PLACEHOLDER = /\{([^{}]*)\}/g;

/**
 * Substitutes `{name}` for each allowed name. Returns the names that are not allowed here, so
 * the loader can report them against the file's line: a typo like `{verison}` must not reach a
 * URL or an argv.
 */
export function substitute(text: string, values: Partial<Record<PlaceholderName, string>>): { text: string; unknown: string[] } {
  const unknown: string[] = [];
  const out = text.replace(PLACEHOLDER, (whole, name: string) => {
    const v = values[name as PlaceholderName];
    if (v === undefined) {
      unknown.push(name);
      return whole;
    }
    return v;
  });
  return { text: out, unknown };
}
