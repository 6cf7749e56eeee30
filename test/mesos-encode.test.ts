import { describe, expect, it } from 'vitest';
import { encodeCommandInfo } from '../src/mesos/encode.js';
import { concat, stringField, varintField } from './helpers/wire.js';

describe('encodeCommandInfo', () => {
  it('writes value = 3 and shell = 6 as Mesos serialises them', () => {
    const command = "mount --make-rslave / && mount -n --rbind '/var/lib/rexray/volumes/data' '/data'";
    expect(Buffer.from(encodeCommandInfo(command))).toEqual(
      Buffer.from(concat(stringField(3, command), varintField(6, true))),
    );
  });

  it('encodes long and non-ASCII commands with a multi-byte length', () => {
    const command = `echo '${'ü'.repeat(200)}'`;
    const bytes = encodeCommandInfo(command);
    expect(Buffer.from(bytes)).toEqual(Buffer.from(concat(stringField(3, command), varintField(6, true))));
    expect(bytes[1]).toBeGreaterThan(0x7f);
  });

  it('refuses an empty command', () => {
    expect(() => encodeCommandInfo('')).toThrow(/cannot encode Mesos CommandInfo: the shell command is empty/);
  });
});
