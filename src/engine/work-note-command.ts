/** A command an agent typed in a work note: `/automate restart-service service=nginx host="web 01"`. */
export interface WorkNoteCommand {
  name: string;
  args: Record<string, string>;
}

const COMMAND_LINE = /^\s*\/automate\s+([a-z0-9]+(?:-[a-z0-9]+)*)((?:\s+[a-z_][a-z0-9_]*=(?:"[^"\n]*"|[^\s"]*))*)\s*$/m;
const ARGUMENT = /([a-z_][a-z0-9_]*)=(?:"([^"\n]*)"|([^\s"]*))/g;
const MAX_ARGS = 20;

/**
 * Finds the first `/automate <command> key=value …` line of a work note. Anything else in the note is
 * ignored. Arguments are data: they reach templates as `command.args.<key>` strings and are never
 * interpreted. A line that almost matches (bad key, unclosed quote) is not a command.
 */
export function parseWorkNoteCommand(text: string): WorkNoteCommand | undefined {
  const match = COMMAND_LINE.exec(text.slice(0, 8000));
  if (!match) return undefined;
  const args: Record<string, string> = {};
  for (const arg of match[2]!.matchAll(ARGUMENT)) {
    if (Object.keys(args).length >= MAX_ARGS) break;
    args[arg[1]!] = arg[2] ?? arg[3] ?? '';
  }
  return { name: match[1]!, args };
}
