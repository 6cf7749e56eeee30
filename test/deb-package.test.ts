/**
 * `make deb`'s package, as Debian's tools see it (dpkg-deb; lintian runs in
 * the build and fails it on an error): its control fields, layout, conffile,
 * docs, and the packaged `dvdi` run from the unpacked files. The module
 * needs a Mesos tree, so a stand-in shared object takes its place (the
 * package's other files are real). test/deb-install.test.ts installs it.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dvdi } from './helpers/cli.js';
import { buildDeb, debFile } from './helpers/deb.js';
import { standInModule } from './helpers/elf-fixtures.js';
import { tempRoot } from './helpers/harness.js';

const ROOT = path.resolve('.');
const MESOS = '0.27.2';
const PACKAGE = `dvdi-mesos-${MESOS}`;
const VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
/** Where this machine keeps libnode when a third-party nodejs blocks Debian's package. */
const LOCAL_LIBNODE = path.join(ROOT, '.deps/libnode/usr/lib/x86_64-linux-gnu');

let root: string;
let deb: string;
let printed: string;
let unpacked: string;

beforeAll(async () => {
  root = tempRoot('dvdi-deb-');
  const built = path.join(root, `mesos-${MESOS}`);
  standInModule(path.join(built, `libmesos_dvdi_isolator-${MESOS}.so`));
  for (const f of ['dvdi-runtime.cjs', 'dvdi-cli.cjs']) copyFileSync(path.join(ROOT, 'dist', f), path.join(built, f));
  printed = await buildDeb(root, MESOS);
  deb = debFile(root, MESOS, VERSION);
  unpacked = path.join(root, 'unpacked');
  const x = spawnSync('dpkg-deb', ['-x', deb, unpacked], { encoding: 'utf8' });
  expect(x.status, x.stderr).toBe(0);
}, 240_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

const dpkgDeb = (...args: string[]): string => {
  const r = spawnSync('dpkg-deb', [...args], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
};

describe('make deb', () => {
  it('builds dvdi-mesos-<release>_<dvdi version>_amd64.deb, lintian clean of errors and warnings, and prints the host requirements', () => {
    expect(existsSync(deb)).toBe(true);
    expect(printed).toContain('deb: lintian: no errors');
    expect(printed).not.toMatch(/^deb: lintian: [EW]: /m);
    const lines = printed.split('\n');
    const at = lines.indexOf('deb: host requirements (the newest symbol version each file needs):');
    expect(at, printed).toBeGreaterThanOrEqual(0);
    expect(lines.slice(at + 1, at + 7).map((l) => l.split(/\s+/)[0])).toEqual([
      'file', `libmesos_dvdi_isolator-${MESOS}.so`, 'libdvdi_runtime.so', 'dvdi', 'libnode.so.108', 'host',
    ]);
  });

  it('declares the runtime packages dpkg-shlibdeps derives, and conflicts with the packages of other releases', () => {
    const field = (name: string) => dpkgDeb('-f', deb, name).trim();
    expect(field('Package')).toBe(PACKAGE);
    expect(field('Source')).toBe('dvdi');
    expect(field('Version')).toBe(VERSION);
    expect(field('Architecture')).toBe('amd64');
    const depends = field('Depends').split(', ');
    // libnode108's version from its own shlibs file; glibc from the symbol versions the files need.
    expect(depends).toEqual(expect.arrayContaining([
      expect.stringMatching(/^libnode108 \(>= 18\./), 'libc6 (>= 2.34)', expect.stringMatching(/^libstdc\+\+6 \(>= /), 'mount',
    ]));
    expect(field('Provides')).toBe('dvdi-mesos');
    expect(field('Conflicts')).toBe('dvdi-mesos');
    expect(field('Replaces')).toBe('dvdi-mesos');
    expect(Number(field('Installed-Size'))).toBeGreaterThan(0);
    expect(field('Description')).toContain(`Mesos ${MESOS} agents`);
  });

  it('installs the files in /usr/lib/dvdi, dvdi on PATH, the modules file and the docs, owned by root', () => {
    const entries = dpkgDeb('-c', deb).trim().split('\n').map((l) => {
      const [mode, owner, , , , ...rest] = l.split(/\s+/);
      return `${mode} ${owner} ${rest.join(' ').replace(/^\.\//, '/')}`;
    });
    const doc = `/usr/share/doc/${PACKAGE}`;
    expect(entries.filter((e) => !e.startsWith('d')).sort()).toEqual([
      '-rw-r--r-- root/root /etc/mesos-slave/dvdi-mod.json',
      '-rw-r--r-- root/root /usr/lib/dvdi/dvdi-cli.cjs',
      '-rw-r--r-- root/root /usr/lib/dvdi/dvdi-runtime.cjs',
      '-rw-r--r-- root/root /usr/lib/dvdi/libdvdi_runtime.so',
      `-rw-r--r-- root/root /usr/lib/dvdi/libmesos_dvdi_isolator-${MESOS}.so`,
      `-rw-r--r-- root/root /usr/share/doc/${PACKAGE}/README.Debian`,
      `-rw-r--r-- root/root ${doc}/changelog.gz`,
      `-rw-r--r-- root/root ${doc}/copyright`,
      `-rw-r--r-- root/root /usr/share/lintian/overrides/${PACKAGE}`,
      '-rw-r--r-- root/root /usr/share/man/man1/dvdi.1.gz',
      '-rwxr-xr-x root/root /usr/lib/dvdi/dvdi',
      'lrwxrwxrwx root/root /usr/bin/dvdi -> ../lib/dvdi/dvdi',
      `lrwxrwxrwx root/root /usr/lib/dvdi/libmesos_dvdi_isolator.so -> libmesos_dvdi_isolator-${MESOS}.so`,
    ].sort());
    // Stripped, and no RUNPATH into this build host.
    for (const f of ['dvdi', 'libdvdi_runtime.so', `libmesos_dvdi_isolator-${MESOS}.so`]) {
      const file = path.join(unpacked, 'usr/lib/dvdi', f);
      expect(spawnSync('readelf', ['-S', file], { encoding: 'utf8' }).stdout).not.toContain('.debug_');
      expect(spawnSync('readelf', ['-d', file], { encoding: 'utf8' }).stdout).not.toMatch(/RUNPATH|RPATH/);
    }
  });

  it('keeps /etc/mesos-slave/dvdi-mod.json as a conffile naming the module through its release-free link', () => {
    const control = path.join(root, 'control');
    dpkgDeb('-e', deb, control);
    expect(readFileSync(path.join(control, 'conffiles'), 'utf8')).toBe('/etc/mesos-slave/dvdi-mod.json\n');
    const modules = JSON.parse(readFileSync(path.join(unpacked, 'etc/mesos-slave/dvdi-mod.json'), 'utf8')) as {
      libraries: Array<{ file: string; modules: Array<{ name: string; parameters: Array<{ key: string; value: string }> }> }>;
    };
    expect(modules.libraries[0]!.file).toBe('/usr/lib/dvdi/libmesos_dvdi_isolator.so');
    const module = modules.libraries[0]!.modules[0]!;
    expect(module.name).toBe('com_emccode_mesos_DockerVolumeDriverIsolator');
    expect(module.parameters).toEqual(expect.arrayContaining([
      { key: 'mounter', value: 'dvdcli' }, { key: 'dvdcli', value: '/usr/bin/dvdcli' },
    ]));
    // The maintainer scripts are valid shell; what they do, test/deb-install.test.ts sees.
    for (const script of ['postinst', 'prerm']) {
      expect(spawnSync('sh', ['-n', path.join(control, script)]).status).toBe(0);
    }
  });

  it('ships a dvdi that prints the agent settings to add, as README.Debian states them', () => {
    const env: NodeJS.ProcessEnv = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
    if (existsSync(LOCAL_LIBNODE)) env.LD_LIBRARY_PATH = LOCAL_LIBNODE;
    // No --mesos-version: the release of the module beside the launcher.
    const setup = spawnSync(path.join(unpacked, 'usr/lib/dvdi/dvdi'), ['agent-setup'], { encoding: 'utf8', env, timeout: 60_000 });
    expect(setup.status, setup.stderr).toBe(0);
    expect(setup.stdout).toContain('echo file:///etc/mesos-slave/dvdi-mod.json > /etc/mesos-slave/modules\n');
    expect(setup.stdout).toContain('echo posix/cpu,posix/mem,com_emccode_mesos_DockerVolumeDriverIsolator > /etc/mesos-slave/isolation\n');
    const readme = readFileSync(path.join(unpacked, `usr/share/doc/${PACKAGE}/README.Debian`), 'utf8');
    expect(readme).toContain(setup.stdout);
    expect(readme).toContain('Removing or purging the package leaves the checkpoint');
    // 1.x agents take the module beside filesystem/linux.
    expect(dvdi(['agent-setup', '--mesos-version', '1.11.0']).stdout)
      .toContain('echo filesystem/linux,posix/cpu,posix/mem,com_emccode_mesos_DockerVolumeDriverIsolator > /etc/mesos-slave/isolation\n');
  });
});
