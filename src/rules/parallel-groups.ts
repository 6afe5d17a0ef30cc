/** What the check reads of a step (a structural type: mapping.schema.ts imports this file). */
interface GroupedStep {
  parallel?: string;
  join?: 'all' | 'first' | number;
}

/** Parallel groups are adjacent steps; a join belongs to a group and asks no more than it has. */
export function parallelGroupProblems(
  steps: readonly GroupedStep[],
): { index: number; field: string; message: string }[] {
  const problems: { index: number; field: string; message: string }[] = [];
  const closed = new Set<string>();
  steps.forEach((step, i) => {
    const previous = steps[i - 1]?.parallel;
    if (previous !== undefined && step.parallel !== previous) closed.add(previous);
    if (step.parallel === undefined) {
      if (step.join !== undefined) problems.push({ index: i, field: 'join', message: 'join needs a parallel group' });
      return;
    }
    if (step.parallel !== previous && closed.has(step.parallel))
      problems.push({
        index: i,
        field: 'parallel',
        message: `steps of parallel group ${step.parallel} must be adjacent`,
      });
    const members = steps.filter((s) => s.parallel === step.parallel);
    const joins = new Set(members.map((s) => s.join).filter((j) => j !== undefined));
    if (joins.size > 1)
      problems.push({ index: i, field: 'join', message: `parallel group ${step.parallel} has different joins` });
    if (typeof step.join === 'number' && step.join > members.length)
      problems.push({
        index: i,
        field: 'join',
        message: `join ${step.join} exceeds the ${members.length} branches of ${step.parallel}`,
      });
  });
  return problems;
}
