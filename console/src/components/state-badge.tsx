/** A run or step state as a word (never colour alone), coloured by class for a quick scan. */
export function StateBadge({ state }: { state: string }) {
  return <span class={`state state-${state}`}>{state}</span>;
}
