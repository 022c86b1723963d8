import { Composer, CST, isMap, isNode, isScalar, parse, Parser, type Document } from 'yaml';

/**
 * Edits a YAML text through the `yaml` package's CST: a scalar is replaced inside its own
 * token (CST.setScalarValue keeps its quoting style), and every other byte — comments, blank
 * lines, key order, spacing before a trailing comment, CRLF line ends — is kept as it was.
 */
export class YamlSource {
  private readonly tokens: CST.Token[];
  readonly doc: Document.Parsed;
  private readonly inserts: { offset: number; text: string }[] = [];

  constructor(readonly text: string) {
    this.tokens = [...new Parser().parse(text)];
    const docs = [...new Composer({ keepSourceTokens: true }).compose(this.tokens)];
    if (docs.length !== 1) throw new Error(docs.length ? 'more than one YAML document' : 'no YAML document');
    this.doc = docs[0]!;
    if (this.doc.errors.length) throw new Error(`invalid YAML: ${this.doc.errors[0]!.message.split('\n')[0]}`);
  }

  /** The scalar at `path`, or undefined when there is none. */
  scalar(path: (string | number)[]): { value: unknown } | undefined {
    const node = this.doc.getIn(path, true);
    return isScalar(node) ? { value: node.value } : undefined;
  }

  /**
   * Replaces the existing scalar at `path`; false when there is no scalar there. Its quoting
   * style is kept, except for a boolean, which is written plain (a quoted "true" is a string).
   */
  setScalar(path: (string | number)[], value: string | boolean): boolean {
    const node = this.doc.getIn(path, true);
    if (!isScalar(node) || !node.srcToken || !CST.isScalar(node.srcToken)) return false;
    // a plain token keeps its style unless the new text would read back as something else
    // (`0123`, `1e5`, `true`, `null`...): then it is double-quoted so it stays a string
    const type = typeof value === 'boolean' ? 'PLAIN' : node.srcToken.type === 'scalar' && !readsBackAs(value) ? 'QUOTE_DOUBLE' : undefined;
    CST.setScalarValue(node.srcToken, String(value), type ? { type } : undefined);
    return true;
  }

  /**
   * Adds `key: value` as the LAST entry of the map at `mapPath` (`[]`: the top-level map), where
   * `value` is a string or a one-level map of strings. A block map gets new line(s) with its
   * indentation right after the line where its last entry's value ends (for the top-level map:
   * at the end of the text); a flow map `{..}` gets `, key: value` after its last value. Every
   * existing byte stays. False when the key is already there or the place is not one this can
   * edit safely (an empty block map, a non-map, the top level of a document with an explicit
   * end marker `...`).
   */
  addEntry(mapPath: (string | number)[], key: string, value: string | Record<string, string>): boolean {
    const map = mapPath.length ? this.doc.getIn(mapPath, true) : this.doc.contents;
    if (!isMap(map) || map.has(key)) return false;
    const eol = this.text.includes('\r\n') ? '\r\n' : '\n';
    if (map.flow) {
      const rendered = `${key}: ${
        typeof value === 'string'
          ? scalarText(value)
          : `{${Object.entries(value)
              .map(([k, v]) => `${k}: ${scalarText(v)}`)
              .join(', ')}}`
      }`;
      const last = map.items.at(-1);
      if (!last) {
        const open = map.range?.[0];
        if (open === undefined || this.text[open] !== '{') return false;
        this.inserts.push({ offset: open + 1, text: rendered });
        return true;
      }
      const end = isNode(last.value) ? last.value.range?.[1] : isNode(last.key) ? last.key.range?.[1] : undefined;
      if (end === undefined) return false;
      this.inserts.push({ offset: end, text: `, ${rendered}` });
      return true;
    }
    const first = map.items[0];
    const last = map.items.at(-1);
    const keyOffset = first && isNode(first.key) ? first.key.range?.[0] : undefined;
    if (!last || keyOffset === undefined) return false;
    const indent = this.text.slice(this.text.lastIndexOf('\n', keyOffset - 1) + 1, keyOffset);
    if (!/^ *$/.test(indent)) return false;
    const lines =
      typeof value === 'string'
        ? [`${indent}${key}: ${scalarText(value)}`]
        : [`${indent}${key}:`, ...Object.entries(value).map(([k, v]) => `${indent}${this.indentStep()}${k}: ${scalarText(v)}`)];
    const block = lines.map((l) => `${l}${eol}`).join('');
    let offset: number;
    if (!mapPath.length) {
      // appending after an explicit end `...` would start a second document
      if (this.tokens.some((t) => t.type === 'doc-end')) return false;
      offset = this.text.length;
    } else {
      const end = isNode(last.value) ? last.value.range?.[1] : isNode(last.key) ? last.key.range?.[1] : undefined;
      if (end === undefined) return false;
      // a block scalar's range already ends after its line break
      offset = end > 0 && this.text[end - 1] === '\n' ? end : this.text.indexOf('\n', end) + 1 || this.text.length;
    }
    const needsBreak = offset > 0 && offset === this.text.length && !this.text.endsWith('\n');
    this.inserts.push({ offset, text: `${needsBreak ? eol : ''}${block}` });
    return true;
  }

  /** The file's indentation step: how far the first nested block map is indented; 2 if none. */
  private indentStep(): string {
    const top = this.doc.contents;
    if (isMap(top) && !top.flow) {
      const topKey = top.items[0]?.key;
      const topCol = isNode(topKey) && topKey.range ? this.column(topKey.range[0]) : 0;
      for (const pair of top.items) {
        if (isMap(pair.value) && !pair.value.flow) {
          const k = pair.value.items[0]?.key;
          if (isNode(k) && k.range) {
            const step = this.column(k.range[0]) - topCol;
            if (step > 0) return ' '.repeat(step);
          }
        }
      }
    }
    return '  ';
  }

  private column(offset: number): number {
    return offset - (this.text.lastIndexOf('\n', offset - 1) + 1);
  }

  /**
   * Adds `key: value` as the first entry of the block map at `mapPath`, on a line of its own
   * with the map's indentation. False when that is not a block map (a flow map `{..}`).
   */
  addFirstEntry(mapPath: (string | number)[], key: string, value: string | boolean): boolean {
    const map = this.doc.getIn(mapPath, true);
    if (!isMap(map) || map.flow || !map.items.length) return false;
    const firstKey = map.items[0]!.key;
    const offset = isScalar(firstKey) ? firstKey.range?.[0] : undefined;
    if (offset === undefined) return false;
    const lineStart = this.text.lastIndexOf('\n', offset - 1) + 1;
    const indent = this.text.slice(lineStart, offset);
    if (!/^ *$/.test(indent)) return false;
    const eol = this.text.includes('\r\n') ? '\r\n' : '\n';
    this.inserts.push({ offset: lineStart, text: `${indent}${key}: ${String(value)}${eol}` });
    return true;
  }

  toString(): string {
    let out = this.tokens.map((t) => CST.stringify(t)).join('');
    // insertions were located on the original text; scalar edits before them may shift offsets
    if (this.inserts.length) {
      if (out.length !== this.text.length) throw new Error('cannot combine insertions with edits that change length');
      for (const ins of [...this.inserts].sort((a, b) => b.offset - a.offset)) out = out.slice(0, ins.offset) + ins.text + out.slice(ins.offset);
    }
    return out;
  }
}

/** True when `value` written plain reads back as that same string. */
function readsBackAs(value: string): boolean {
  try {
    return parse(value) === value;
  } catch {
    return false;
  }
}

/** A string as a YAML scalar: plain when that is unambiguous (hex, versions, URLs), else double-quoted. */
function scalarText(value: string): string {
  return /^[A-Za-z0-9._/-]+$/.test(value) && readsBackAs(value) ? value : JSON.stringify(value);
}
