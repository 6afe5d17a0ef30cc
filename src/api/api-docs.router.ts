import { dirname } from 'node:path';
import express, { Router } from 'express';

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Snowline API</title>
<link rel="stylesheet" href="swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="swagger-ui-bundle.js"></script>
<script src="snowline-docs.js"></script>
</body>
</html>
`;

/**
 * Reads the OpenAPI document the server already publishes; "Authorize" takes the same bearer JWT.
 * A separate script file, because the Content-Security-Policy allows no inline script.
 */
const INIT = `window.ui = SwaggerUIBundle({
  url: '/api/v1/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
  persistAuthorization: false,
});
`;

/** The API documentation at /api/v1/docs: Swagger UI, served from the installed swagger-ui-dist package (no CDN). */
export function apiDocsRouter(basePath: string): Router {
  const router = Router();
  const docs = `${basePath}/docs`;
  const assets = dirname(require.resolve('swagger-ui-dist/package.json'));
  // The page's asset links are relative, so it is served at the path with a trailing slash.
  router.get(docs, (req, res) => {
    if (!req.path.endsWith('/')) return res.redirect(301, `${docs}/`);
    res.type('html').set('Cache-Control', 'no-cache').send(PAGE);
  });
  router.get(`${docs}/snowline-docs.js`, (_req, res) => {
    res.type('js').send(INIT);
  });
  router.use(docs, express.static(assets, { index: false, maxAge: '1h' }));
  return router;
}
