import { secretsCommand } from '../../../src/cli/secrets.command';

/**
 * `snowline secrets set` stored credentials that no connector read (issue "Security hardening"
 * item 14): the command goes; connector credentials are configuration (env:/file: references).
 */
describe('snowline secrets', () => {
  it('offers only rotate: no command stores credentials that nothing reads', () => {
    expect(secretsCommand().commands.map((c) => c.name())).toEqual(['rotate']);
  });

  it('refuses `secrets set` as an unknown command', async () => {
    const command = secretsCommand()
      .exitOverride()
      .configureOutput({ writeErr: () => undefined });
    await expect(
      command.parseAsync(['set', '--connector', 'ansible', '--name', 'token'], { from: 'user' }),
    ).rejects.toThrow(/unknown command 'set'/);
  });
});
