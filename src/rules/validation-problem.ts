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
