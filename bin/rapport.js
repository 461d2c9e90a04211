#!/usr/bin/env node
// Tiny shim: the program is dist/rapport.js, built by `npm run build` (the prepare script runs it on npm ci).
import { runProcess } from '../dist/rapport.js';

process.exitCode = await runProcess(process.argv.slice(2));
