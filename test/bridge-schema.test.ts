import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { BRIDGE_SCHEMA } from '../src/bridge/schema.js';

/** Drops what only the parser records (the file's edition), leaving names, rules, types and numbers. */
function shape(json: unknown): unknown {
  return JSON.parse(JSON.stringify(json, (k, v: unknown) => (k === 'edition' ? undefined : v)));
}

describe('bridge schema in code', () => {
  it('matches src/bridge/bridge.proto, the source of truth', () => {
    const text = readFileSync(new URL('../src/bridge/bridge.proto', import.meta.url), 'utf8');
    const parsed = protobuf.parse(text, { keepCase: true }).root;
    const inCode = protobuf.Root.fromJSON(BRIDGE_SCHEMA);
    expect(shape(inCode.toJSON())).toEqual(shape(parsed.toJSON()));
  });
});
