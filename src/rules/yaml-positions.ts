import { LineCounter, parseDocument, isNode, type Document } from 'yaml';

/** A parsed YAML file that can say where any path of its content was written. */
export interface PositionedYaml {
  doc: Document;
  data: unknown;
  /** 1-based line and column of the value at `path`, or of its nearest existing parent. */
  positionOf(path: readonly PropertyKey[], offsetInScalar?: number): { line: number; col: number };
  syntaxErrors: { line: number; col: number; message: string }[];
}

export function parsePositionedYaml(text: string): PositionedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, col };
  };
  const positionOf = (path: readonly PropertyKey[], offsetInScalar = 0) => {
    for (let depth = path.length; depth >= 0; depth--) {
      const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth) as unknown[], true);
      if (isNode(node) && node.range) {
        const quoted = 'type' in node && (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE');
        return at(node.range[0] + (depth === path.length ? offsetInScalar + (quoted ? 1 : 0) : 0));
      }
    }
    return { line: 1, col: 1 };
  };
  const syntaxErrors = [...doc.errors].map((e) => {
    // Without prettyErrors the parser gives offsets only; the line counter turns them into positions.
    const pos = e.linePos?.[0] ?? at(e.pos[0]);
    return { line: pos.line, col: pos.col, message: `YAML: ${e.message.split('\n')[0]}` };
  });
  return { doc, data: syntaxErrors.length ? undefined : doc.toJS(), positionOf, syntaxErrors };
}
