import {
  hostsOfInventory,
  parseCallbackOutput,
  playbookVarsProblems,
  unsafeVarsYaml,
} from '../../../../connectors/ansible/local';
import { varSpecSchema } from '../../../../connectors/ansible/local/schemas';

describe('unsafeVarsYaml', () => {
  it('tags every string value !unsafe, nested ones too, and leaves numbers, booleans and null alone', () => {
    const yaml = unsafeVarsYaml({
      msg: "{{ lookup('pipe','id') }}",
      n: 3,
      ok: true,
      none: null,
      list: ['a', 1],
      nested: { x: '{% raw %}' },
    });
    expect(yaml).toBe(
      [
        `msg: !unsafe "{{ lookup('pipe','id') }}"`,
        'n: 3',
        'ok: true',
        'none: null',
        'list:',
        '  - !unsafe "a"',
        '  - 1',
        'nested:',
        '  x: !unsafe "{% raw %}"',
        '',
      ].join('\n'),
    );
  });

  it('keeps multi-line text and quotes intact inside one tagged scalar', () => {
    expect(unsafeVarsYaml({ t: 'line1\nline2 "q" \'s\'' })).toBe(`t: !unsafe "line1\\nline2 \\"q\\" 's'"\n`);
  });

  it('writes characters YAML readers refuse or fold (DEL, C1 controls, CR, NEL, U+2028, U+FFFF) as escapes', () => {
    const yaml = unsafeVarsYaml({ t: 'a\u007fb\u0085c\rd\u2028e\uffff' });
    expect(yaml).toBe('t: !unsafe "a\\u007fb\\u0085c\\rd\\u2028e\\uffff"\n');
  });
});

describe('playbookVarsProblems', () => {
  const specs = {
    service: varSpecSchema.parse({ type: 'string', maxLength: 10, pattern: '[a-z]+', required: true }),
    count: varSpecSchema.parse({ type: 'integer', min: 1, max: 5 }),
    env: varSpecSchema.parse({ type: 'string', enum: ['prod', 'test'] }),
  };
  it('accepts declared, well-typed values', () => {
    expect(playbookVarsProblems({ service: 'nginx', count: 2, env: 'prod' }, specs)).toEqual([]);
  });
  it('names each problem', () => {
    expect(playbookVarsProblems({ service: 'Nginx!', count: 9, env: 'dev', extra: 1 }, specs)).toEqual([
      'vars.service: does not match [a-z]+',
      'vars.count: must be at most 5',
      'vars.env: must be one of prod, test',
      'vars.extra: not a variable this playbook accepts (allowed: service, count, env)',
    ]);
    expect(playbookVarsProblems({}, specs)).toEqual(['vars.service: required']);
    expect(playbookVarsProblems({ service: 'a'.repeat(11) }, specs)).toEqual([
      'vars.service: is 11 characters, more than 10',
    ]);
    expect(playbookVarsProblems({ env: 'x\ud800' }, specs)).toEqual([
      'vars.env: is not well-formed Unicode (it has a lone surrogate)',
      'vars.service: required',
    ]);
  });
});

describe('parseCallbackOutput', () => {
  it('reads per-host stats, messages, failures and set_stats, skipping warnings before the document', () => {
    const stdout = `[WARNING]: something\n${JSON.stringify({
      plays: [
        { tasks: [{ task: { name: 'say' }, hosts: { web01: { msg: 'hi' }, web02: { failed: true, msg: 'boom' } } }] },
      ],
      stats: {
        web01: { ok: 1, changed: 0, failures: 0, unreachable: 0, skipped: 0, rescued: 0, ignored: 0 },
        web02: { ok: 0, failures: 1 },
      },
      global_custom_stats: { a: 1 },
    })}`;
    const out = parseCallbackOutput(stdout)!;
    expect(out.hosts.web02).toEqual({
      ok: 0,
      changed: 0,
      failures: 1,
      unreachable: 0,
      skipped: 0,
      rescued: 0,
      ignored: 0,
    });
    expect(out.messages).toEqual([
      { task: 'say', host: 'web01', msg: 'hi' },
      { task: 'say', host: 'web02', msg: 'boom' },
    ]);
    expect(out.failedTasks).toEqual([{ task: 'say', host: 'web02', msg: 'boom' }]);
    expect(out.stats).toEqual({ a: 1 });
  });
  it('is undefined when there is no JSON document', () => {
    expect(parseCallbackOutput('ERROR! the playbook could not be found')).toBeUndefined();
  });
});

describe('hostsOfInventory', () => {
  it('collects hosts from hostvars and group lists', () => {
    expect(
      [
        ...hostsOfInventory({ _meta: { hostvars: { a: {} } }, all: { children: ['web'] }, web: { hosts: ['a', 'b'] } }),
      ].sort(),
    ).toEqual(['a', 'b']);
  });
});
