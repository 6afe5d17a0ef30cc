import { Command } from 'commander';
import { resealStoredRuns } from '../security/run-secrets';
import { secretBoxFromConfig, type SecretBox } from '../security/secret-box';
import type { Db } from '../store';
import { credentialRepository } from '../store/credential.repository';
import { withConfiguredStore } from './configured-store';
import { configOrExit } from './load-config';

/** `snowline secrets set|list|rotate`: stored connector credentials, sealed under `secrets.key`. */
export function secretsCommand(): Command {
  const secrets = new Command('secrets').description(
    'connector credentials stored encrypted (AES-256-GCM under SNOWLINE_SECRET_KEY)',
  );
  secrets
    .command('rotate')
    .description(
      're-encrypt every stored secret under the current key (after moving the old key to SNOWLINE_SECRET_KEYS_PREVIOUS)',
    )
    .action(() =>
      withCredentials(async (credentials, { db, box }) => {
        const { resealed, total } = await credentials.rotate(`cli:${process.env.USER ?? 'unknown'}`);
        process.stdout.write(`re-encrypted ${resealed} of ${total} stored secrets under the current key\n`);
        process.stdout.write(
          `re-encrypted the secret params of ${await resealStoredRuns(db, box)} runs under the current key\n`,
        );
      }),
    );
  secrets
    .command('set')
    .description('store a connector credential; the value is read from standard input, never from the command line')
    .requiredOption('--connector <name>', 'connector the credential belongs to')
    .requiredOption('--name <name>', 'credential name, e.g. token')
    .action((options: { connector: string; name: string }) =>
      withCredentials(async (credentials) => {
        const value = (await readStdin()).replace(/\r?\n$/, '');
        if (!value) {
          process.stderr.write('snowline secrets set: no value on standard input\n');
          process.exit(2);
        }
        await credentials.put(options.connector, options.name, value, `cli:${process.env.USER ?? 'unknown'}`);
        process.stdout.write(`stored ${options.connector}:${options.name}\n`);
      }),
    );
  secrets
    .command('list')
    .description('stored credentials: names and key ids, never values')
    .action(() =>
      withCredentials(async (credentials) => {
        for (const row of await credentials.list())
          process.stdout.write(
            `${row.connector}:${row.name}\tkey ${row.key_id}\tby ${row.updated_by}\t${new Date(Number(row.updated_at)).toISOString()}\n`,
          );
      }),
    );
  return secrets;
}

async function withCredentials(
  work: (credentials: ReturnType<typeof credentialRepository>, store: { db: Db; box: SecretBox }) => Promise<void>,
): Promise<void> {
  const config = configOrExit();
  const box = secretBoxFromConfig(config.secrets);
  if (!box) {
    process.stderr.write(
      'snowline secrets: secrets.key is not set (env SNOWLINE_SECRET_KEY: 32 bytes as 64 hex or Base64 characters)\n',
    );
    process.exit(2);
  }
  await withConfiguredStore(
    (store, repos) => work(credentialRepository(store.db, box, repos.audit), { db: store.db, box }),
    config,
  );
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
