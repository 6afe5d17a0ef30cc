import { Command } from 'commander';
import { resealStoredRuns } from '../engine/run-secrets';
import { secretBoxFromConfig, type SecretBox } from '../security/secret-box';
import type { Repositories } from '../store';
import { credentialRepository } from '../store/credential.repository';
import { withConfiguredStore } from './configured-store';
import { configOrExit } from './load-config';

/**
 * `snowline secrets rotate`: re-seals what Snowline stores under `secrets.key` (run secret params,
 * and connector credentials stored by earlier versions). There is no `secrets set`: no connector
 * read stored credentials, so a command that stored them only gave false comfort. Connector
 * credentials are configuration (`env:NAME`, `file:PATH`).
 */
export function secretsCommand(): Command {
  const secrets = new Command('secrets').description(
    'secrets Snowline stores encrypted (AES-256-GCM under SNOWLINE_SECRET_KEY): key rotation',
  );
  secrets
    .command('rotate')
    .description(
      're-encrypt every stored secret under the current key (after moving the old key to SNOWLINE_SECRET_KEYS_PREVIOUS)',
    )
    .action(() =>
      withCredentials(async (credentials, { runContexts, box }) => {
        const { resealed, total } = await credentials.rotate(`cli:${process.env.USER ?? 'unknown'}`);
        process.stdout.write(`re-encrypted ${resealed} of ${total} stored secrets under the current key\n`);
        process.stdout.write(
          `re-encrypted the secret params of ${await resealStoredRuns(runContexts, box)} runs under the current key\n`,
        );
      }),
    );
  return secrets;
}

async function withCredentials(
  work: (
    credentials: ReturnType<typeof credentialRepository>,
    stored: { runContexts: Repositories['runContexts']; box: SecretBox },
  ) => Promise<void>,
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
    (store, repos) => work(credentialRepository(store.db, box, repos.audit), { runContexts: repos.runContexts, box }),
    config,
  );
}
