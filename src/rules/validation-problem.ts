/** One problem in a mapping file, printed as `file:line:col message` by `snowline validate`. */
export interface MappingProblem {
  file: string;
  line: number;
  col: number;
  message: string;
}

export function formatProblem(p: MappingProblem): string {
  return `${p.file}:${p.line}:${p.col} ${p.message}`;
}

/** Reports a problem at a path of the YAML document; `offset` points into a string value when known. */
export type Report = (path: PropertyKey[], message: string, offset?: number) => void;
