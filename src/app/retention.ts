import type { Config } from '../config';
import type { Logger } from '../observability/logger';
import type { Repositories } from '../store';
import { folderArchive } from '../retention/archive';
import { createRetention } from '../retention/retention';
import { anchorSettings } from './options';

/** The retention pass as configured (`retention.*`); the same for the scheduled job and the CLI. */
export function retentionFromConfig(config: Config, repos: Repositories, logger: Logger) {
  return createRetention({
    config: config.retention,
    retention: repos.retention,
    audit: repos.audit,
    archive: folderArchive(config.retention.archive.dir),
    anchors: anchorSettings(config),
    logger,
  });
}
