import { Composer, CST, parse, Parser, type Scalar } from 'yaml';

/**
 * Byte-exact edits of one YAML document through the `yaml` package's CST (concrete syntax tree):
 * the text is parsed once into tokens, every edit changes or adds tokens in that tree, and
 * `toString()` writes the tree back. What no edit touches stays byte for byte: comments, blank
 * lines, key order, quoting, the spaces before a trailing comment, CRLF line ends, a missing final
 * newline. Edits see each other (a key added is there for the next edit), and any number of them
 * combine in one pass: the tree holds no offsets that an edit could shift.
 *
 * Paths are map keys from the top of the document; a path through a sequence, an alias or a merge
 * key leads nowhere. Every edit returns false, changing nothing, where it cannot be made safely.
 */

/** Map keys from the top of the document; `[]` is the top-level map. */
export type YamlPath = readonly string[];
/** A scalar to write: a string (plain when it reads back as that same string, else double-quoted) or a boolean (plain). */
export type ScalarValue = string | boolean;
/** A new entry's value: a scalar, or a one-level map of scalars. */
export type EntryValue = ScalarValue | Readonly<Record<string, ScalarValue>>;

type MapToken = CST.BlockMap | CST.FlowCollection;
type Item = CST.CollectionItem;
/** An entry this module writes: it fits block and flow maps alike. */
interface NewEntry {
  start: CST.SourceToken[];
  key: CST.Token;
  sep: CST.SourceToken[];
  value: CST.Token;
}

export class YamlEditor {
  private readonly tokens: CST.Token[];
  private readonly doc: CST.Document;
  /** the file's line end, for every line an edit adds */
  private readonly eol: string;

  /** Throws (an Error, one line) when `text` is not exactly one valid YAML document. */
  constructor(text: string) {
    this.tokens = [...new Parser().parse(text)];
    const docs = [...new Composer().compose(this.tokens)];
    const doc = this.tokens.find((t): t is CST.Document => t.type === 'document');
    if (docs.length !== 1 || !doc) throw new Error(docs.length > 1 ? 'more than one YAML document' : 'no YAML document');
    const error = docs[0]!.errors[0];
    if (error) throw new Error(`invalid YAML: ${error.message.split('\n')[0]}`);
    this.doc = doc;
    this.eol = text.includes('\r\n') ? '\r\n' : '\n';
  }

  /** The text with every edit made so far. */
  toString(): string {
    return this.tokens.map((t) => CST.stringify(t)).join('');
  }

  /** True when `path` names an entry (whatever its value). */
  has(path: YamlPath): boolean {
    return path.length === 0 || this.entry(path) !== undefined;
  }

  /**
   * Sets the scalar at `path`, keeping its quoting style, except that a boolean is written plain
   * (a quoted "true" is a string) and a plain scalar whose new text would read back as something
   * else (`0123`, `1e5`, `null`...) is double-quoted. An entry with no value (`key:`) gets one.
   * False when there is no entry at `path` or its value is not a scalar (a map, an alias...).
   */
  setScalar(path: YamlPath, value: ScalarValue): boolean {
    const at = this.entry(path);
    if (!at) return false;
    const { item, map } = at;
    const inFlow = map.type === 'flow-collection';
    if (item.value === undefined) {
      // `key:` and nothing more: the value goes after the `:`, before what ends the line
      const sep = item.sep ?? [];
      if (inFlow || !sep.some((t) => t.type === 'map-value-ind')) return false;
      let cut = sep.findIndex((t) => t.type === 'newline' || t.type === 'comment');
      if (cut < 0) cut = sep.length;
      // the spaces before a trailing comment stay before it
      if (sep[cut]?.type === 'comment' && sep[cut - 1]?.type === 'space') cut--;
      const end = sep.splice(cut);
      if (sep.at(-1)?.type !== 'space') sep.push(source('space', ' '));
      item.value = scalarToken(value, map.indent, false, end);
      return true;
    }
    if (!CST.isScalar(item.value)) return false;
    const type = typeof value === 'boolean' ? 'PLAIN' : item.value.type === 'scalar' && !readsBackAs(value) ? 'QUOTE_DOUBLE' : undefined;
    CST.setScalarValue(item.value, String(value), { inFlow, type });
    return true;
  }

  /**
   * Adds `key: value` as the LAST entry of the map at `mapPath`. In a block map it goes on new
   * line(s) at the map's indentation, right after the last entry (comments and blank lines that
   * follow that entry stay after the new one); in the top-level map, at the end of the document,
   * after its trailing comments. A map value is written as a block one level deeper, by the file's
   * indentation step. In a flow map `{..}` it goes after the last value as `, key: value`. False
   * when the key is already there, there is no map at `mapPath`, or the place is not one this can
   * edit safely (the top level of a document closed by an explicit end marker `...`).
   */
  addEntry(mapPath: YamlPath, key: string, value: EntryValue): boolean {
    const map = this.mapAt(mapPath);
    if (!map || map.items.some((i) => keyOf(i) === key)) return false;
    if (typeof value === 'object' && Object.keys(value).length === 0) return false;
    if (map.type === 'flow-collection') return addFlowEntry(map, key, value);

    // nested: after the last entry; top level: after everything, the document's trailing comments too
    const at = mapPath.length ? map.items.findLastIndex(isEntry) + 1 : map.items.length;
    if (at === 0) return false;
    // after an explicit end `...`, YAML tools would read what follows as a second document
    if (!mapPath.length && this.tokens.some((t) => t.type === 'doc-end')) return false;
    const trailing = mapPath.length ? [] : (this.doc.end ?? []);

    // the text before the new entry must end a line; its trailing spaces indent what follows it
    const before = CST.stringify(map.items[at - 1]!) + trailing.map((t) => t.source).join('');
    const lastLine = before.slice(before.lastIndexOf('\n') + 1);
    let endsLine = before.includes('\n') && /^ *$/.test(lastLine);
    let carried = endsLine ? lastLine.length : 0;
    if (carried > map.indent) {
      // more than this map's indentation: spaces before a deeper comment, or at the end of the file
      if (at < map.items.length) return false;
      endsLine = false;
      carried = 0;
    }
    const start = [...trailing.splice(0), ...(endsLine ? [] : [this.newline()]), ...spaces(map.indent - carried)];
    const item = this.blockItem(start, key, value, map.indent);
    lastEnd(item).push(this.newline(), ...spaces(carried));
    map.items.splice(at, 0, item);
    return true;
  }

  /**
   * Adds `key: value` as the FIRST entry of the block map at `mapPath`, on a line of its own at
   * the map's indentation (after any comment lines above the map's first key). False when that is
   * not a block map or the key is already there.
   */
  addFirstEntry(mapPath: YamlPath, key: string, value: ScalarValue): boolean {
    const map = this.mapAt(mapPath);
    if (map?.type !== 'block-map' || !map.items[0] || !isEntry(map.items[0]) || map.items.some((i) => keyOf(i) === key)) return false;
    // the first entry's indentation is written before the map's first item: the new one takes it
    const item = this.blockItem([], key, value, map.indent);
    lastEnd(item).push(this.newline(), ...spaces(map.indent));
    map.items.unshift(item);
    return true;
  }

  /** Sets the scalar at `path`, or adds it as the last entry of its map when it is not there. */
  setOrAddScalar(path: YamlPath, value: ScalarValue): boolean {
    if (path.length === 0) return false;
    if (this.has(path)) return this.setScalar(path, value);
    return this.addEntry(path.slice(0, -1), path.at(-1)!, value);
  }

  /** The entry at `path` and the map it is in. */
  private entry(path: YamlPath): { item: Item; map: MapToken } | undefined {
    let node: CST.Token | undefined = this.doc.value;
    let found: { item: Item; map: MapToken } | undefined;
    for (const key of path) {
      const map = asMap(node);
      const item = map?.items.find((i) => keyOf(i) === key);
      if (!map || !item) return undefined;
      found = { item, map };
      node = item.value;
    }
    return found;
  }

  private mapAt(path: YamlPath): MapToken | undefined {
    return asMap(path.length ? this.entry(path)?.item.value : this.doc.value);
  }

  /** `key: value` in a block map at `indent`, without its final line end. */
  private blockItem(start: CST.SourceToken[], key: string, value: EntryValue, indent: number): NewEntry {
    if (typeof value !== 'object') return { start, key: keyToken(key, indent, false), sep: valueSep(), value: scalarToken(value, indent, false, []) };
    const inner = indent + this.indentStep();
    const items: NewEntry[] = Object.entries(value).map(([k, v], i) => ({
      start: i ? spaces(inner) : [],
      key: keyToken(k, inner, false),
      sep: valueSep(),
      value: scalarToken(v, inner, false, i < Object.keys(value).length - 1 ? [this.newline()] : []),
    }));
    return {
      start,
      key: keyToken(key, indent, false),
      sep: [source('map-value-ind', ':'), this.newline(), ...spaces(inner)],
      value: { type: 'block-map', offset: -1, indent: inner, items },
    };
  }

  /** How far the file indents a block map under a top-level key; 2 when it has none. */
  private indentStep(): number {
    const top = this.doc.value;
    if (top?.type === 'block-map') {
      for (const item of top.items) {
        if (item.value?.type === 'block-map' && item.value.indent > top.indent) return item.value.indent - top.indent;
      }
    }
    return 2;
  }

  private newline(): CST.SourceToken {
    return source('newline', this.eol);
  }
}

/** Adds `key: value` after the last entry of a flow map; what followed that entry's value (a comment, a line end) follows the new one. */
function addFlowEntry(map: CST.FlowCollection, key: string, value: EntryValue): boolean {
  const at = map.items.findLastIndex(isEntry) + 1;
  const last = map.items[at - 1];
  let end: CST.SourceToken[] = [];
  if (last?.value && 'end' in last.value && last.value.end) {
    // a nested flow collection keeps its closing bracket
    end = last.value.type === 'flow-collection' ? last.value.end.splice(1) : last.value.end.splice(0);
  }
  const start = last ? [source('comma', ','), source('space', ' ')] : [];
  const item: Item = { start, key: keyToken(key, map.indent, true), sep: valueSep(), value: flowValue(value, map.indent, end) };
  map.items.splice(at, 0, item);
  return true;
}

function flowValue(value: EntryValue, indent: number, end: CST.SourceToken[]): CST.Token {
  if (typeof value !== 'object') return scalarToken(value, indent, true, end);
  const items: Item[] = Object.entries(value).map(([k, v], i) => ({
    start: i ? [source('comma', ','), source('space', ' ')] : [],
    key: keyToken(k, indent, true),
    sep: valueSep(),
    value: scalarToken(v, indent, true, []),
  }));
  return { type: 'flow-collection', offset: -1, indent, start: source('flow-map-start', '{'), items, end: [source('flow-map-end', '}'), ...end] };
}

/** The tokens after the new item's last value: where its line end goes. */
function lastEnd(item: Item): CST.SourceToken[] {
  let value = item.value;
  while (value?.type === 'block-map') value = value.items.at(-1)?.value;
  if (!value || !('end' in value)) throw new Error('a new entry ends with a scalar');
  return (value.end ??= []);
}

function asMap(token: CST.Token | undefined): MapToken | undefined {
  if (token?.type === 'block-map') return token;
  if (token?.type === 'flow-collection' && token.start.source === '{') return token;
  return undefined;
}

/** An item with a key or a value; the others only hold comments and blank lines. */
function isEntry(item: Item): boolean {
  return item.key !== undefined || item.value !== undefined;
}

function keyOf(item: Item): string | undefined {
  return CST.isScalar(item.key) ? CST.resolveAsScalar(item.key).value : undefined;
}

function source(type: CST.SourceToken['type'], text: string): CST.SourceToken {
  return { type, offset: -1, indent: 0, source: text };
}

function spaces(n: number): CST.SourceToken[] {
  return n > 0 ? [source('space', ' '.repeat(n))] : [];
}

function valueSep(): CST.SourceToken[] {
  return [source('map-value-ind', ':'), source('space', ' ')];
}

function keyToken(key: string, indent: number, inFlow: boolean): CST.FlowScalar | CST.BlockScalar {
  return CST.createScalarToken(key, { indent, inFlow, implicitKey: true, type: styleOf(key), end: [] });
}

function scalarToken(value: ScalarValue, indent: number, inFlow: boolean, end: CST.SourceToken[]): CST.FlowScalar | CST.BlockScalar {
  return CST.createScalarToken(String(value), { indent, inFlow, type: styleOf(value), end });
}

/** Plain for booleans and for unambiguous strings (hex, versions, URLs, names); double-quoted otherwise. */
function styleOf(value: ScalarValue): Scalar.Type {
  if (typeof value === 'boolean') return 'PLAIN';
  return /^[A-Za-z0-9._/-]+$/.test(value) && readsBackAs(value) ? 'PLAIN' : 'QUOTE_DOUBLE';
}

/** True when `value` written plain reads back as that same string. */
function readsBackAs(value: string): boolean {
  try {
    return parse(value) === value;
  } catch {
    return false;
  }
}
