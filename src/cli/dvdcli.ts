#!/usr/bin/env node
import { runVolumeCommand } from './volume.js';

// Installed as `dvdcli`, so the dvdcli mounter can drive dvdi's own plugin client.
process.exitCode = await runVolumeCommand(process.argv.slice(2), {
  stdout: (text: string) => void process.stdout.write(text),
  stderr: (text: string) => void process.stderr.write(text),
  env: process.env,
});
