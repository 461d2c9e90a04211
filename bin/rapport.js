#!/usr/bin/env node
// Tiny shim: the program lives in dist/ (built by `npm ci`/`npm install` through the prepare script).
import { runProcess } from '../dist/cli/main.js';

process.exitCode = await runProcess(process.argv.slice(2));
