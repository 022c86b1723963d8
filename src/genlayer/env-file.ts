/**
 * Names of the variables a `.env` file sets to a non-empty value. Values are looked at only to
 * tell empty from set; they never leave this function.
 */
export function envNamesSet(text: string): string[] {
  const names = new Set<string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    if (unquote(m[2]!) !== '') names.add(m[1]!);
    else names.delete(m[1]!);
  }
  return [...names].sort();
}

function unquote(v: string): string {
  const s = v.trim();
  if ((s.startsWith('"') && s.endsWith('"') && s.length >= 2) || (s.startsWith("'") && s.endsWith("'") && s.length >= 2)) {
    return s.slice(1, -1);
  }
  return s.replace(/\s+#.*$/, '');
}

/**
 * The values themselves, for one purpose only: to scrub them out of text glr did not write (a
 * node's log tail, a setup script's output) before that text reaches a log or a message.
 */
export function envSecretValues(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=\s*(.*)$/.exec(raw);
    if (!m) continue;
    const v = unquote(m[1]!);
    if (v.length >= 6) out.push(v);
  }
  return out;
}

export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('[redacted]');
  return out;
}
