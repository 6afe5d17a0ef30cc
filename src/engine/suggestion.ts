import { isManualTrigger, type ResolvedRule } from '../rules/mapping.schema';

/**
 * The work note a `suggest` rule posts: what the automation would do and how an agent starts it —
 * the `/automate` command when the rule has one, otherwise the operator API (the UI Action).
 */
export function suggestionNote(rule: ResolvedRule): string {
  const command = rule.on.find(
    (t): t is { command: string; allowed_groups: string[] } => typeof t === 'object' && 'command' in t,
  );
  const how = command
    ? `To run it, a member of ${command.allowed_groups.join(' or ')} adds the work note: /automate ${command.command}${argumentHint(rule)}`
    : rule.on.some(isManualTrigger)
      ? `To run it, an operator uses "Run Snowline automation" on this ticket (POST /api/v1/rules/${rule.id}/trigger).`
      : 'It has no command or manual trigger; ask the rule owner to enable it.';
  return `Snowline suggests automation ${rule.id} (owner ${rule.owner}, risk ${rule.risk}): ${rule.description}.\n${how}`;
}

/** `key=<key>` for each command argument the rule reads, so the agent sees what to type. */
function argumentHint(rule: ResolvedRule): string {
  const keys = new Set<string>();
  const text = JSON.stringify([rule.params, rule.steps.map((s) => s.with)]);
  for (const match of text.matchAll(/command\.args\.([a-z_][a-z0-9_]*)/g)) keys.add(match[1]!);
  return [...keys].map((k) => ` ${k}=<${k}>`).join('');
}
