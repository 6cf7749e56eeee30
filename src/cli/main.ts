#!/usr/bin/env node
import * as path from 'node:path';
import { runCli } from './run-cli.js';

const io = {
  stdout: (text: string) => void process.stdout.write(text),
  stderr: (text: string) => void process.stderr.write(text),
};

// Through the launcher, a link named `dvdcli` is dvdi's dvdcli-compatible command (`dvdi volume`).
const args = path.basename(process.argv0) === 'dvdcli' ? ['volume', ...process.argv.slice(2)] : process.argv.slice(2);

// No top-level await: the same entry is bundled as CommonJS for the `dvdi` launcher.
void runCli(args, io).then((code) => {
  process.exitCode = code;
});
