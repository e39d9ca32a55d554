#!/usr/bin/env node
// The CLI runs from TypeScript sources through tsx, so `npx mlship` works right after `npm ci`.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
