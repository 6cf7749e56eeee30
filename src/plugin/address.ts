/** Where a Docker volume plugin listens, as discovery found it. */

/** TLS settings of a `.json` spec (Docker's `TLSConfig`). */
export interface TlsSettings {
  readonly insecureSkipVerify: boolean;
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
}

export type PluginAddress =
  | { readonly kind: 'unix'; readonly path: string }
  | {
      readonly kind: 'tcp';
      readonly host: string;
      readonly port: number;
      /** Present only for `https://` addresses: Docker speaks plain HTTP to `tcp://` and `http://`. */
      readonly tls?: TlsSettings;
    };

export interface PluginLocation {
  /** The driver name it was looked up by. */
  readonly name: string;
  readonly address: PluginAddress;
  /** The socket or spec file it came from. */
  readonly source: string;
}

/** Docker verifies a plugin's certificate only when a CA file is given; without one it skips verification. */
const DOCKER_DEFAULT_TLS: TlsSettings = { insecureSkipVerify: true };

/**
 * Parses a plugin URL as found in a `.spec` file or a `.json` spec's `Addr`:
 * `unix:///abs/path.sock`, `tcp://host:port`, `http://host[:port]` or `https://host[:port]`.
 */
export function parsePluginUrl(text: string, tls: TlsSettings = DOCKER_DEFAULT_TLS): PluginAddress {
  const trimmed = text.trim();
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new Error(`invalid plugin address ${JSON.stringify(trimmed)}: not a URL`);
  }
  const scheme = url.protocol.replace(/:$/, '');
  if (scheme === 'unix') {
    if (url.host !== '') {
      throw new Error(`invalid plugin address ${JSON.stringify(trimmed)}: a unix address is unix:///absolute/path`);
    }
    const path = decodeURIComponent(url.pathname);
    if (!path.startsWith('/') || path === '/') {
      throw new Error(`invalid plugin address ${JSON.stringify(trimmed)}: the socket path must be absolute`);
    }
    return { kind: 'unix', path };
  }
  if (scheme === 'tcp' || scheme === 'http' || scheme === 'https') {
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (host === '') {
      throw new Error(`invalid plugin address ${JSON.stringify(trimmed)}: no host`);
    }
    const defaultPort = scheme === 'https' ? 443 : scheme === 'http' ? 80 : undefined;
    const port = url.port === '' ? defaultPort : Number(url.port);
    if (port === undefined) {
      throw new Error(`invalid plugin address ${JSON.stringify(trimmed)}: a tcp address needs a port`);
    }
    return scheme === 'https' ? { kind: 'tcp', host, port, tls } : { kind: 'tcp', host, port };
  }
  throw new Error(`invalid plugin address ${JSON.stringify(trimmed)}: unsupported scheme "${scheme}" (use unix, tcp, http or https)`);
}

/** The address as a URL, for messages. */
export function describeAddress(address: PluginAddress): string {
  if (address.kind === 'unix') return `unix://${address.path}`;
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return `${address.tls ? 'https' : 'tcp'}://${host}:${address.port}`;
}

/** A key equal for addresses that can share one connection pool. */
export function addressKey(address: PluginAddress): string {
  return JSON.stringify(address);
}
