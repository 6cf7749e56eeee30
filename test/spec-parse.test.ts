import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DRIVER,
  parseVolumeSpecs,
  SpecError,
  validateDriverName,
  validateOptionKey,
  validateOptionValue,
  validateVolumeName,
  type ParsedSpecs,
} from '../src/spec/parse.js';

const settings = { configuredDvdcli: '/usr/bin/dvdcli' };

const parse = (env: Record<string, string> | Array<[string, string]>): ParsedSpecs =>
  parseVolumeSpecs(Array.isArray(env) ? env : Object.entries(env), settings);

/** The SpecError `fn` throws; fails the test if it throws anything else or nothing. */
function specError(fn: () => unknown): SpecError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SpecError);
    return err as SpecError;
  }
  throw new Error('expected a SpecError, nothing was thrown');
}

const refused = (env: Record<string, string> | Array<[string, string]>): SpecError => specError(() => parse(env));

describe('variables and slots', () => {
  it('reads an unsuffixed volume with defaults', () => {
    expect(parse({ PATH: '/bin', DVDI_VOLUME_NAME: 'data' })).toEqual({
      specs: [{ slot: 0, driver: DEFAULT_DRIVER, name: 'data', options: [], explicitCreate: false, containerPath: '' }],
      warnings: [],
    });
    expect(DEFAULT_DRIVER).toBe('rexray');
  });

  it('reads every field of a slot', () => {
    const { specs } = parse({
      DVDI_VOLUME_NAME4: 'db',
      DVDI_VOLUME_DRIVER4: 'rexray/ebs:latest',
      DVDI_VOLUME_OPTS4: 'size=5,volumetype=gp2',
      DVDI_VOLUME_CONTAINERPATH4: '/var/lib/mysql',
      DVDI_VOLUME_EXPLICITCREATE4: 'true',
      DVDI_VOLUME_DVDCLI4: '/usr/bin/dvdcli',
    });
    expect(specs).toEqual([
      {
        slot: 4,
        driver: 'rexray/ebs:latest',
        name: 'db',
        options: [
          ['size', '5'],
          ['volumetype', 'gp2'],
        ],
        explicitCreate: true,
        containerPath: '/var/lib/mysql',
      },
    ]);
  });

  it('takes any slot number, not just one digit, and sorts specs by slot', () => {
    const { specs } = parse({ DVDI_VOLUME_NAME17: 'c', DVDI_VOLUME_NAME2: 'b', DVDI_VOLUME_NAME: 'a', DVDI_VOLUME_NAME100: 'd' });
    expect(specs.map((s) => [s.slot, s.name])).toEqual([
      [0, 'a'],
      [2, 'b'],
      [17, 'c'],
      [100, 'd'],
    ]);
  });

  it('treats the unsuffixed variable and suffix 0 as one slot', () => {
    const { specs } = parse({ DVDI_VOLUME_NAME0: 'a', DVDI_VOLUME_DRIVER: 'local' });
    expect(specs).toHaveLength(1);
    expect(specs[0]).toMatchObject({ slot: 0, name: 'a', driver: 'local' });
    expect(parse({ DVDI_VOLUME_NAME0: 'a', DVDI_VOLUME_NAME: 'a' }).specs).toHaveLength(1);
  });

  it('refuses two spellings of one slot with different values', () => {
    const err = refused([
      ['DVDI_VOLUME_NAME', 'a'],
      ['DVDI_VOLUME_NAME0', 'b'],
    ]);
    expect(err.variable).toBe('DVDI_VOLUME_NAME0');
    expect(err.message).toBe('DVDI_VOLUME_NAME0: conflicts with DVDI_VOLUME_NAME (both set volume 0) with different values: "a" and "b"');
  });

  it('accepts a variable repeated with the same value and refuses one repeated with another', () => {
    expect(
      parse([
        ['DVDI_VOLUME_NAME1', 'a'],
        ['DVDI_VOLUME_NAME1', 'a'],
      ]).specs,
    ).toHaveLength(1);
    const err = refused([
      ['DVDI_VOLUME_OPTS1', 'size=1'],
      ['DVDI_VOLUME_NAME1', 'a'],
      ['DVDI_VOLUME_OPTS1', 'size=2'],
    ]);
    expect(err.message).toBe('DVDI_VOLUME_OPTS1: is given twice with different values: "size=1" and "size=2"');
  });

  it('reports a hostile second value as hostile rather than as a conflict', () => {
    const err = refused([
      ['DVDI_VOLUME_NAME', 'a'],
      ['DVDI_VOLUME_NAME', 'a;b'],
    ]);
    expect(err.message).toContain("character ';' at position 2");
  });

  it('refuses slot numbers with leading zeros, and runaway ones', () => {
    const err = refused({ DVDI_VOLUME_NAME07: 'a' });
    expect(err.variable).toBe('DVDI_VOLUME_NAME07');
    expect(err.message).toContain('leading zero; write DVDI_VOLUME_NAME7');
    expect(refused({ DVDI_VOLUME_DRIVER00: 'x' }).message).toContain('write DVDI_VOLUME_DRIVER0');
    const long = refused({ [`DVDI_VOLUME_NAME${'9'.repeat(5000)}`]: 'a' });
    expect(long.message).toContain('(5000 digits) is too large');
    expect(long.message.length).toBeLessThan(200);
  });

  it('ignores variables that merely share the prefix, silently', () => {
    expect(
      parse({
        DVDI_VOLUME_NAMESPACE: 'x y;z',
        DVDI_VOLUME_OPTSX: ',,,',
        DVDI_VOLUME_NAME_1: 'a b',
        DVDI_VOLUME_NAMES: '',
        dvdi_volume_name: 'lower',
        DVDI_VOLUME_: 'x',
        DVDI_VOLUME_NAME1A: 'x',
      }),
    ).toEqual({ specs: [], warnings: [] });
  });

  it('skips a slot without a name, with a warning naming what was ignored', () => {
    const result = parse({ DVDI_VOLUME_NAME: 'a', DVDI_VOLUME_DRIVER3: 'local', DVDI_VOLUME_OPTS3: 'k=v' });
    expect(result.specs.map((s) => s.slot)).toEqual([0]);
    expect(result.warnings).toEqual(['ignoring DVDI_VOLUME_DRIVER3, DVDI_VOLUME_OPTS3: volume 3 has no name (DVDI_VOLUME_NAME3)']);
    expect(parse({ DVDI_VOLUME_EXPLICITCREATE: 'true' }).warnings).toEqual([
      'ignoring DVDI_VOLUME_EXPLICITCREATE: volume 0 has no name (DVDI_VOLUME_NAME)',
    ]);
  });

  it('still validates the variables of a slot without a name', () => {
    expect(refused({ DVDI_VOLUME_DRIVER3: '../x' }).variable).toBe('DVDI_VOLUME_DRIVER3');
    expect(refused({ DVDI_VOLUME_DVDCLI5: '/tmp/evil' }).variable).toBe('DVDI_VOLUME_DVDCLI5');
  });
});

describe('volume names', () => {
  it.each(['a', '0', 'Data_1.2-x@y+z:w', 'A'.repeat(255)])('accepts %j', (name) => {
    expect(parse({ DVDI_VOLUME_NAME: name }).specs[0]?.name).toBe(name);
  });

  it('refuses an empty name', () => {
    expect(refused({ DVDI_VOLUME_NAME: '' }).message).toBe(
      'DVDI_VOLUME_NAME: the volume name is empty: volume names start with a letter or digit and continue with letters, digits and _ . - @ + :',
    );
  });

  it('names the offending character and its position', () => {
    expect(refused({ DVDI_VOLUME_NAME2: 'ab/c' }).message).toBe(
      "DVDI_VOLUME_NAME2: character '/' at position 3 in \"ab/c\" is not allowed there: volume names start with a letter or digit and continue with letters, digits and _ . - @ + :",
    );
    expect(refused({ DVDI_VOLUME_NAME: '-x' }).message).toContain("character '-' at position 1");
    expect(refused({ DVDI_VOLUME_NAME: '.x' }).message).toContain("character '.' at position 1");
    expect(refused({ DVDI_VOLUME_NAME: 'a b' }).message).toContain("character ' ' at position 2");
  });

  it('shows control characters escaped', () => {
    const err = refused({ DVDI_VOLUME_NAME: 'a\u0000b' });
    expect(err.message).toBe(
      'DVDI_VOLUME_NAME: character \'\\x00\' at position 2 in "a\\x00b" is a control character, which no DVDI_ variable may contain',
    );
  });

  it('shows look-alike characters by code point', () => {
    expect(refused({ DVDI_VOLUME_NAME: 'v\u043El' }).message).toContain("character U+043E 'о' at position 2 in \"v\\u{43E}l\"");
  });

  it('is exported for reuse with a caller-chosen field label', () => {
    expect(() => validateVolumeName('ok-1')).not.toThrow();
    const err = specError(() => validateVolumeName('no way', 'Name'));
    expect(err.variable).toBe('Name');
    expect(err.message.startsWith('Name: ')).toBe(true);
  });
});

describe('drivers', () => {
  it.each(['rexray', 'local', 'rexray/ebs', 'rexray/ebs:latest', 'registry.example:5000/org/plugin:1.2'])('accepts %j', (driver) => {
    expect(parse({ DVDI_VOLUME_NAME: 'v', DVDI_VOLUME_DRIVER: driver }).specs[0]?.driver).toBe(driver);
  });

  it('refuses an explicitly empty driver instead of using the default', () => {
    expect(refused({ DVDI_VOLUME_NAME: 'v', DVDI_VOLUME_DRIVER: '' }).message).toContain('the driver name is empty');
  });

  it.each([
    ['/rexray', 'starts with "/"'],
    ['rexray/', 'ends with "/"'],
    ['rexray//ebs', 'has an empty part ("//")'],
    ['rexray/../ebs', 'has a ".." part'],
    ['rexray/./ebs', 'has a "." part'],
    ['..', 'has a ".." part'],
    ['rexray/-ebs', "character '-' at position 8"],
    ['-rexray', "character '-' at position 1"],
    ['rexray/e bs', "character ' ' at position 9"],
  ])('refuses %j: %s', (driver, why) => {
    const err = refused({ DVDI_VOLUME_NAME: 'v', DVDI_VOLUME_DRIVER: driver });
    expect(err.variable).toBe('DVDI_VOLUME_DRIVER');
    expect(err.message).toContain(why);
  });

  it('is exported for reuse', () => {
    expect(() => validateDriverName('rexray/ebs')).not.toThrow();
    expect(specError(() => validateDriverName('a/')).variable).toBe('volume driver');
  });
});

describe('options', () => {
  const opts = (value: string): ReadonlyArray<readonly [string, string]> =>
    parse({ DVDI_VOLUME_NAME: 'v', DVDI_VOLUME_OPTS: value }).specs[0]?.options ?? [];

  it('keeps the order given', () => {
    expect(opts('z=1,a=2,m=3')).toEqual([
      ['z', '1'],
      ['a', '2'],
      ['m', '3'],
    ]);
  });

  it('reads an empty variable as no options and allows empty values', () => {
    expect(opts('')).toEqual([]);
    expect(opts('k=')).toEqual([['k', '']]);
  });

  it('allows printable values, since no shell ever sees them', () => {
    expect(opts('zone=us-east-1a,key=arn:aws:kms:x/y,desc=a b $(c) é')).toEqual([
      ['zone', 'us-east-1a'],
      ['key', 'arn:aws:kms:x/y'],
      ['desc', 'a b $(c) é'],
    ]);
  });

  it.each([
    ['a=1,,b=2', 'item 2 of "a=1,,b=2" is empty'],
    [',a=1', 'item 1 of ",a=1" is empty'],
    ['a=1,', 'item 2 of "a=1," is empty'],
    ['a=1,b', 'item 2 of "a=1,b" has no "="'],
    ['=1', 'an option key is empty'],
    ['a=1,a=2', 'option key "a" is given twice'],
    ['a=b=c', "character '=' at position 2 in the value \"b=c\" of option \"a\""],
    ['-a=1', "character '-' at position 1 in option key \"-a\""],
    ['a b=1', "character ' ' at position 2 in option key \"a b\""],
    ['a:b=1', "character ':' at position 2"],
    ['a=x\u202Ey', 'character U+202E at position 2'],
    ['a=x\u2028y', 'character U+2028 at position 2'],
    ['a=\t', "character '\\x09' at position 3"],
  ])('refuses %j', (value, why) => {
    const err = refused({ DVDI_VOLUME_NAME: 'v', DVDI_VOLUME_OPTS: value });
    expect(err.variable).toBe('DVDI_VOLUME_OPTS');
    expect(err.message).toContain(why);
  });

  it('are exported for reuse', () => {
    expect(() => validateOptionKey('size')).not.toThrow();
    expect(() => validateOptionValue('size', '10')).not.toThrow();
    expect(specError(() => validateOptionValue('k', 'a,b')).message).toContain('dvdcli splits on it');
    expect(specError(() => validateOptionKey('_k')).message).toContain("character '_' at position 1");
  });
});

describe('explicit create', () => {
  it('takes exactly true or false, defaulting to false', () => {
    expect(parse({ DVDI_VOLUME_NAME: 'v', DVDI_VOLUME_EXPLICITCREATE: 'true' }).specs[0]?.explicitCreate).toBe(true);
    expect(parse({ DVDI_VOLUME_NAME: 'v', DVDI_VOLUME_EXPLICITCREATE: 'false' }).specs[0]?.explicitCreate).toBe(false);
    expect(parse({ DVDI_VOLUME_NAME: 'v' }).specs[0]?.explicitCreate).toBe(false);
  });

  it.each(['TRUE', 'True', '1', 'yes', '', ' true', 'true\n'])('refuses %j', (value) => {
    const err = refused({ DVDI_VOLUME_NAME: 'v', DVDI_VOLUME_EXPLICITCREATE: value });
    expect(err.variable).toBe('DVDI_VOLUME_EXPLICITCREATE');
    expect(err.message).toMatch(/must be exactly "true" or "false" \(lower case\)|control character/);
  });
});

describe('container paths', () => {
  const path = (value: string): string => parse({ DVDI_VOLUME_NAME: 'v', DVDI_VOLUME_CONTAINERPATH: value }).specs[0]?.containerPath ?? '?';

  it('keeps them as written: empty, absolute or relative', () => {
    expect(path('')).toBe('');
    expect(path('/data')).toBe('/data');
    expect(path('/tmp/x/y')).toBe('/tmp/x/y');
    expect(path('data/sub')).toBe('data/sub');
    expect(path('.hidden/a_b-c@d+e')).toBe('.hidden/a_b-c@d+e');
  });

  it.each([
    ['/', 'cannot be bound over "/"'],
    ['/data/', 'ends with "/"'],
    ['/a//b', 'has "//"'],
    ['/a/./b', 'has a "." part'],
    ['/a/../b', 'has a ".." part'],
    ['..', 'has a ".." part'],
    ['./data', 'has a "." part'],
    ['-rf', 'has a part starting with "-"'],
    ['/a/-b', 'has a part starting with "-"'],
    ['/a b', "character ' ' at position 3"],
    ['/a:b', "character ':' at position 3"],
    ['/etc', 'would cover the system directory /etc'],
    ['/usr/local/data', 'would cover the system directory /usr'],
    ['/var', 'would cover the system directory /var/db'],
  ])('refuses %j', (value, why) => {
    const err = refused({ DVDI_VOLUME_NAME: 'v', DVDI_VOLUME_CONTAINERPATH: value });
    expect(err.variable).toBe('DVDI_VOLUME_CONTAINERPATH');
    expect(err.message).toContain(why);
  });
});

describe('DVDI_VOLUME_DVDCLI', () => {
  it('is accepted only when it names the configured binary', () => {
    expect(parse({ DVDI_VOLUME_NAME: 'v', DVDI_VOLUME_DVDCLI: '/usr/bin/dvdcli' }).specs).toHaveLength(1);
  });

  it('is refused otherwise, saying the operator sets the binary', () => {
    for (const value of ['/tmp/evil', '/usr/bin//dvdcli', 'dvdcli', '']) {
      const err = refused({ DVDI_VOLUME_NAME: 'v', DVDI_VOLUME_DVDCLI: value });
      expect(err.variable).toBe('DVDI_VOLUME_DVDCLI');
      expect(err.message).toContain('a task cannot choose the mounter binary');
      expect(err.message).toContain('the operator sets it with the module parameter "dvdcli"');
    }
  });

  it('is always refused when no dvdcli is configured', () => {
    const err = specError(() => parseVolumeSpecs([['DVDI_VOLUME_DVDCLI', '']], { configuredDvdcli: '' }));
    expect(err.message).toContain('this agent has no dvdcli binary configured');
  });
});

describe('length limit', () => {
  it('allows 255 bytes and refuses 256, counting UTF-8 bytes', () => {
    expect(parse({ DVDI_VOLUME_NAME: 'a'.repeat(255) }).specs).toHaveLength(1);
    expect(refused({ DVDI_VOLUME_NAME: 'a'.repeat(256) }).message).toContain('value is 256 bytes long, over the limit of 255 bytes');
    const value = `k=${'é'.repeat(127)}`; // 2 + 254 bytes
    expect(refused({ DVDI_VOLUME_NAME: 'v', DVDI_VOLUME_OPTS: value }).message).toContain('256 bytes long');
    expect(parse({ DVDI_VOLUME_NAME: 'v', DVDI_VOLUME_OPTS: `k=${'é'.repeat(126)}x` }).specs).toHaveLength(1);
  });

  it('keeps the message short for a huge value', () => {
    const err = refused({ DVDI_VOLUME_CONTAINERPATH: `/${'x'.repeat(1 << 20)}` });
    expect(err.message).toContain('value is 1048577 bytes long');
    expect(err.message).toContain('…" (1048577 bytes)');
    expect(err.message.length).toBeLessThan(300);
  });
});

describe('one volume asked for twice', () => {
  it('keeps both specs when they agree, options in any order', () => {
    const { specs } = parse({
      DVDI_VOLUME_NAME1: 'v',
      DVDI_VOLUME_OPTS1: 'a=1,b=2',
      DVDI_VOLUME_CONTAINERPATH1: '/tmp/one',
      DVDI_VOLUME_NAME2: 'v',
      DVDI_VOLUME_OPTS2: 'b=2,a=1',
      DVDI_VOLUME_CONTAINERPATH2: '/tmp/two',
    });
    expect(specs.map((s) => [s.slot, s.containerPath])).toEqual([
      [1, '/tmp/one'],
      [2, '/tmp/two'],
    ]);
  });

  it('treats the same name on different drivers as different volumes', () => {
    const { specs } = parse({ DVDI_VOLUME_NAME1: 'v', DVDI_VOLUME_OPTS1: 'a=1', DVDI_VOLUME_NAME2: 'v', DVDI_VOLUME_DRIVER2: 'local' });
    expect(specs).toHaveLength(2);
  });

  it('refuses different options', () => {
    const err = refused({ DVDI_VOLUME_NAME: 'v', DVDI_VOLUME_OPTS: 'a=1', DVDI_VOLUME_NAME3: 'v', DVDI_VOLUME_OPTS3: 'a=2' });
    expect(err.message).toBe(
      'DVDI_VOLUME_OPTS3: volume "rexray/v" is also requested by volume 0 with different options; a volume asked for twice must have the same options',
    );
    const missing = refused({ DVDI_VOLUME_NAME: 'v', DVDI_VOLUME_OPTS: 'a=1', DVDI_VOLUME_NAME3: 'v' });
    expect(missing.variable).toBe('DVDI_VOLUME_OPTS3');
  });

  it('refuses a different explicit create', () => {
    const err = refused({ DVDI_VOLUME_NAME1: 'v', DVDI_VOLUME_NAME2: 'v', DVDI_VOLUME_EXPLICITCREATE2: 'true' });
    expect(err.variable).toBe('DVDI_VOLUME_EXPLICITCREATE2');
    expect(err.message).toContain('with a different explicit create');
  });
});
