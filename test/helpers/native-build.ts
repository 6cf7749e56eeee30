import { existsSync } from 'node:fs';
import * as path from 'node:path';

/** Where scripts/build-native.sh (CMake through cmake-js) puts every native target but the addon. */
export const NATIVE_BUILD_DIR = path.resolve('build/native');

/** A program or library of the native build; fails with what to run when it is missing. */
export function builtFile(name: string): string {
  const file = path.join(NATIVE_BUILD_DIR, name);
  if (!existsSync(file)) throw new Error(`${file} is not built: run scripts/build-native.sh (part of make build)`);
  return file;
}
