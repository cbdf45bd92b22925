#!/usr/bin/env node
// The `tutti` command. Sources are TypeScript run through tsx's loader, so no build step stands
// between a fresh clone and a working command.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
