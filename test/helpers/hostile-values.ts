/** A hostile task's values, shared by the parser's and the isolator's tests. */

export const METACHARACTERS = [...';|&$`()<>*?!{}[]\'"\\~#'];

/** Values a hostile task might send; none may pass as any DVDI_ variable. */
export const HOSTILE: ReadonlyArray<readonly [string, string]> = [
  ...METACHARACTERS.flatMap((c): Array<[string, string]> => [
    [`metacharacter ${c} inside`, `a${c}b`],
    [`metacharacter ${c} first`, `${c}a`],
  ]),
  ['space inside', 'a b'],
  ['leading space', ' a'],
  ['trailing space', 'a '],
  ['newline', 'a\nb'],
  ['carriage return', 'a\rb'],
  ['tab', 'a\tb'],
  ['NUL', 'a\u0000b'],
  ['lone NUL', '\u0000'],
  ['escape sequence', '\u001b[31mred'],
  ['DEL', 'a\u007fb'],
  ['C1 NEL', 'a\u0085b'],
  ['line separator', 'a\u2028b'],
  ['parent directory', '../'],
  ['dot dot', '..'],
  ['climbing path', '../../etc/shadow'],
  ['absolute system file', '/etc/passwd'],
  ['command substitution', '$(reboot)'],
  ['backticks', '`reboot`'],
  ['variable expansion', '${IFS}'],
  ['Cyrillic look-alike', 'v\u043el'],
  ['division slash look-alike', 'a\u2215b'],
  ['fullwidth solidus', '\uff0fetc'],
  ['fullwidth letter', '\uff41'],
  ['right-to-left override', '\u202eevil'],
  ['zero-width space', 'a\u200bb'],
  ['unpaired surrogate', 'a\ud800b'],
  ['300 bytes', 'a'.repeat(300)],
  ['256 bytes of two-byte characters', '\u00e9'.repeat(128)],
  ['1 MB', 'a'.repeat(1 << 20)],
  ['flag injection', '--volumedriver=evil'],
  ['short flag', '-rf'],
  ['lone dash', '-'],
  ['help flag', '--help'],
];

/** How each variable is tried: the hostile text as the whole value, or in one position of it. */
export const TARGETS: ReadonlyArray<readonly [string, string, (h: string) => string]> = [
  ['DVDI_VOLUME_NAME', 'DVDI_VOLUME_NAME', (h) => h],
  ['DVDI_VOLUME_NAME12', 'DVDI_VOLUME_NAME12', (h) => h],
  ['DVDI_VOLUME_DRIVER', 'DVDI_VOLUME_DRIVER', (h) => h],
  ['DVDI_VOLUME_DRIVER as a second part', 'DVDI_VOLUME_DRIVER', (h) => `rexray/${h}`],
  ['DVDI_VOLUME_OPTS', 'DVDI_VOLUME_OPTS', (h) => h],
  ['DVDI_VOLUME_OPTS as a key', 'DVDI_VOLUME_OPTS', (h) => `${h}=1`],
  ['DVDI_VOLUME_OPTS as a second key', 'DVDI_VOLUME_OPTS3', (h) => `size=1,${h}=1`],
  ['DVDI_VOLUME_CONTAINERPATH', 'DVDI_VOLUME_CONTAINERPATH', (h) => h],
  ['DVDI_VOLUME_CONTAINERPATH as a part', 'DVDI_VOLUME_CONTAINERPATH2', (h) => `/data/${h}`],
  ['DVDI_VOLUME_EXPLICITCREATE', 'DVDI_VOLUME_EXPLICITCREATE', (h) => h],
  ['DVDI_VOLUME_DVDCLI', 'DVDI_VOLUME_DVDCLI', (h) => h],
];
