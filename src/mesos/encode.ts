import { CommandInfo } from './schema.js';

/** A `CommandInfo` the launcher runs with `os::system`: Mesos accepts only shell commands before exec. */
export function encodeCommandInfo(shellCommand: string): Uint8Array {
  if (shellCommand === '') throw new Error('cannot encode Mesos CommandInfo: the shell command is empty');
  return CommandInfo.encode(CommandInfo.fromObject({ value: shellCommand, shell: true })).finish();
}
