#!/usr/bin/env node
// Package bin: registers the TypeScript loader (tsx) and runs the CLI.
import { register } from 'tsx/esm/api';

register();
await import('../server/cli/main.ts');
