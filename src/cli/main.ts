#!/usr/bin/env node
import { runCli } from './run-cli.js';

const io = {
  stdout: (text: string) => void process.stdout.write(text),
  stderr: (text: string) => void process.stderr.write(text),
};

// No top-level await: the same entry is bundled as CommonJS for the `dvdi` launcher.
void runCli(process.argv.slice(2), io).then((code) => {
  process.exitCode = code;
});
