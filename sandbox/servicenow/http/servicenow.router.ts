import express, { Router } from 'express';
import type { Logger } from 'winston';
import type { RateLimitRules } from '../rate-limit-rules';
import { attachmentRouter } from './attachment.router';
import { batchRouter, type BatchSettings, type Dispatch } from './batch.router';
import { cmdbInstanceRouter } from './cmdb-instance.router';
import { expandTinyUrls, tinyUrlRouter } from './tinyurl.router';
import { identifyReconcileRouter } from './identify-reconcile.router';
import type { ImportSetService } from '../import-sets';
import { importSetRouter } from './import-set.router';
import { sendFailure, servicenowErrorHandler } from './failure-envelope';
import {
  enforceRateLimits,
  methodOverride,
  requireAuth,
  requireJson,
  transactionHeaders,
  type InstanceCredentials,
} from './request-guards';
import type { NowApiDeps } from './now-api';
import { tableRouter } from './table.router';

/** Largest accepted request body. */
const BODY_LIMIT = '10mb';

/** Both the default path of an API and its versioned ones (`/attachment`, `/v1/attachment`). */
const versioned = (path: string, ...versions: string[]) => [path, ...versions.map((v) => `/${v}${path}`)];

/**
 * Everything under `/api/now`, each API under its default and its versioned paths: Table (v1, v2),
 * Attachment, Batch, Import Set, Identify and Reconcile, CMDB Instance and Tiny URL (v1).
 */
export function servicenowRouter(
  deps: NowApiDeps & { dispatch: () => Dispatch; batch?: BatchSettings },
  imports: ImportSetService,
  credentials: InstanceCredentials,
  rateLimits: RateLimitRules,
  logger: Logger,
): Router {
  const router = Router();
  router.use(transactionHeaders, methodOverride, requireAuth(credentials), enforceRateLimits(rateLimits));
  router.use(expandTinyUrls(deps.store));
  // Attachments carry files of any type; everything else speaks JSON.
  router.use(versioned('/attachment', 'v1'), attachmentRouter(deps));
  router.use(requireJson, express.json({ limit: BODY_LIMIT, type: ['application/json', '+json'] }));
  router.use(versioned('/batch', 'v1'), batchRouter(deps.dispatch, deps.batch));
  router.use(versioned('/identifyreconcile', 'v1'), identifyReconcileRouter(deps));
  router.use(versioned('/import', 'v1'), importSetRouter(deps, imports));
  router.use(versioned('/tinyurl', 'v1'), tinyUrlRouter(deps));
  router.use(versioned('/cmdb/instance', 'v1'), cmdbInstanceRouter(deps));
  router.use(versioned('/table', 'v2'), tableRouter(deps, 'latest'));
  router.use('/v1/table', tableRouter(deps, 'v1'));
  router.use((req, res) =>
    sendFailure(res, 400, `Requested URI does not represent any resource: ${req.originalUrl.split('?')[0]}`, null),
  );
  router.use(servicenowErrorHandler(logger));
  return router;
}
