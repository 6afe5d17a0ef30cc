import { Router, type RequestHandler } from 'express';
import { ValidationError } from '../../../src/errors';
import { newRecord, writeStamp } from '../new-record';
import { newSysId } from '../glide-values';
import type { RecordStore } from '../record-store';
import { sendFailure } from './failure-envelope';
import type { NowApiDeps } from './now-api';
import { requestUser } from './request-guards';

/**
 * `POST /api/now/tinyurl` with `{"url": "<long URL>"}` keeps the URL's query string in `sys_tiny_url`
 * and answers `{"result": "<path>?sysparm_tiny=<id>"}`; a later call carrying `sysparm_tiny=<id>` is
 * served as if it carried the stored query (docs/sandbox.md: clients whose query makes the
 * URL too long post it here first).
 */
export function tinyUrlRouter(deps: NowApiDeps): Router {
  const router = Router();
  router.post('/', (req, res) => {
    const url = (req.body as { url?: unknown } | undefined)?.url;
    if (typeof url !== 'string' || url.trim() === '')
      throw new ValidationError('request body', [{ path: 'url', message: 'is required: the long URL to shorten' }]);
    const at = url.indexOf('?');
    const [path, query] = at < 0 ? [url, ''] : [url.slice(0, at), url.slice(at + 1)];
    const tiny = newSysId();
    const stamp = writeStamp(requestUser(res.locals), deps.now());
    deps.store.put(newRecord('sys_tiny_url', { tiny_url: tiny, data: query }, stamp));
    res.json({ result: `${path}?sysparm_tiny=${tiny}` });
  });
  return router;
}

/**
 * Replaces `sysparm_tiny=<id>` by the query it stands for (parameters given beside it are kept
 * unless the stored query has them). An unknown id is refused rather than dropped: dropping it
 * would widen the query to every record [inf: the instance's exact answer].
 */
export function expandTinyUrls(store: RecordStore): RequestHandler {
  return (req, res, next) => {
    const given = new URL(req.originalUrl, 'http://sandbox').searchParams;
    const tiny = given.get('sysparm_tiny');
    if (tiny === null) return next();
    const row = store.list('sys_tiny_url').find((r) => r.tiny_url === tiny);
    if (!row) return sendFailure(res, 400, 'Invalid sysparm_tiny', `No tiny URL ${tiny} exists on this instance`);
    given.delete('sysparm_tiny');
    const expanded = new URLSearchParams(row.data ?? '');
    for (const [name, value] of given) if (!expanded.has(name)) expanded.append(name, value);
    const query = expanded.toString();
    req.url = `${req.url.split('?')[0]}?${query}`;
    req.originalUrl = `${req.originalUrl.split('?')[0]}?${query}`;
    next();
  };
}
