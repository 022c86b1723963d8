/**
 * A strict reader of Prometheus' text exposition format (0.0.4), enough to read glr's textfile
 * back in tests: HELP and TYPE lines, samples with optional labels, no timestamps. Anything else
 * throws, naming the line.
 */
export interface Family {
  help?: string;
  type?: string;
  samples: { labels: Record<string, string>; value: number }[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';

export function parseExposition(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('the text does not end with a newline');
  const families = new Map<string, Family>();
  const family = (name: string) => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { samples: [] }));
    return f;
  };
  text
    .slice(0, -1)
    .split('\n')
    .forEach((line, i) => {
      const where = `line ${i + 1}: ${JSON.stringify(line)}`;
      let m: RegExpExecArray | null;
      if ((m = new RegExp(`^# HELP (${NAME}) ([^\\n]*)$`).exec(line))) {
        family(m[1]!).help = m[2]!.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
      } else if ((m = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`).exec(line))) {
        family(m[1]!).type = m[2]!;
      } else if ((m = new RegExp(`^(${NAME})(?:\\{([^\\n]*)\\})? (\\S+)$`).exec(line))) {
        const labels: Record<string, string> = {};
        let rest = m[2] ?? '';
        while (rest) {
          const l = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)"(,|$)/.exec(rest);
          if (!l) throw new Error(`bad labels at ${where}`);
          labels[l[1]!] = l[2]!.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
          rest = rest.slice(l[0].length);
        }
        const raw = m[3]!;
        const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
        if (Number.isNaN(value) && raw !== 'NaN') throw new Error(`bad value at ${where}`);
        if (!families.has(m[1]!)) throw new Error(`a sample before its HELP/TYPE at ${where}`);
        family(m[1]!).samples.push({ labels, value });
      } else {
        throw new Error(`not exposition format: ${where}`);
      }
    });
  return families;
}
