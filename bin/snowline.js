#!/usr/bin/env node
'use strict';
// The compiled CLI (`npm run build`, run by `npm ci` through the prepare script).
require('../dist/src/cli/main.js').main(process.argv);
