import { Composer, CST, isMap, isScalar, Parser, type Document } from 'yaml';

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
    CST.setScalarValue(node.srcToken, String(value), typeof value === 'boolean' ? { type: 'PLAIN' } : undefined);
    return true;
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
