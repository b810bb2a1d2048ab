// Node binding: the client's address behind trusted proxies (X-Forwarded-For), for per-client limits and logs.
import { BlockList, isIP } from 'node:net';

/** Longest X-Forwarded-For value read; a longer one is ignored (the peer's own address is used). */
const MAX_HEADER_LENGTH = 4096;
/** Most hops walked; a chain of more trusted proxies than this stops at the last one read. */
const MAX_HOPS = 16;

/**
 * Resolves the address a connection really comes from. When the TCP peer is one of the configured proxies, the
 * `X-Forwarded-For` chain is walked from the right (the entry the nearest proxy appended), skipping further
 * trusted proxies; the first address that is not a trusted proxy is the client. Entries to the left of it are
 * whatever the client sent and are never believed. A peer that is not a trusted proxy is the client itself,
 * whatever headers it sends (a spoofed `X-Forwarded-For` changes nothing).
 *
 * @example
 * ```ts
 * const proxies = new TrustedProxies(['127.0.0.1', '10.0.0.0/8']);
 * proxies.resolve('10.0.0.5', '203.0.113.9, 10.0.0.7'); // '203.0.113.9'
 * proxies.resolve('198.51.100.1', '203.0.113.9');        // '198.51.100.1'
 * ```
 */
export class TrustedProxies {
  readonly #list = new BlockList();
  readonly #size: number;

  /**
   * @param entries addresses (`10.0.0.1`, `::1`) and CIDR ranges (`10.0.0.0/8`, `fd00::/8`)
   * @throws {TypeError} naming the first entry that is neither
   */
  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const slash = entry.indexOf('/');
      const address = normalize(slash < 0 ? entry : entry.slice(0, slash));
      const family = isIP(address);
      if (family === 0)
        throw new TypeError(`trustedProxies: ${JSON.stringify(entry)} is not an IP address or CIDR range`);
      const type = family === 4 ? 'ipv4' : 'ipv6';
      if (slash < 0) {
        this.#list.addAddress(address, type);
        continue;
      }
      const bitsText = entry.slice(slash + 1);
      const bits = /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : -1;
      if (bits < 0 || bits > (family === 4 ? 32 : 128))
        throw new TypeError(`trustedProxies: ${JSON.stringify(entry)} has an invalid prefix length`);
      this.#list.addSubnet(address, bits, type);
    }
    this.#size = entries.length;
  }

  /** Whether any proxy is trusted (otherwise {@link resolve} always returns the peer). */
  get enabled(): boolean {
    return this.#size > 0;
  }

  /**
   * Whether an address belongs to a trusted proxy.
   * @param address an IPv4 or IPv6 address (IPv4-mapped IPv6 is unwrapped)
   */
  trusts(address: string): boolean {
    const a = normalize(address);
    const family = isIP(a);
    if (family === 0) return false;
    return this.#list.check(a, family === 4 ? 'ipv4' : 'ipv6');
  }

  /**
   * The client's address.
   * @param peer the socket's `remoteAddress`
   * @param forwardedFor the `X-Forwarded-For` header as Node gives it (repeated headers joined with `, `)
   * @returns the nearest address that is not a trusted proxy, normalized; the peer when it is not trusted, or
   *   when the header is absent, too long or holds something that is not an address at the point reached
   */
  resolve(peer: string, forwardedFor: string | readonly string[] | undefined): string {
    let current = normalize(peer);
    if (this.#size === 0 || forwardedFor === undefined || !this.trusts(current)) return current;
    const header = typeof forwardedFor === 'string' ? forwardedFor : forwardedFor.join(', ');
    if (header.length > MAX_HEADER_LENGTH) return current;
    const hops = header.split(',');
    for (let i = hops.length - 1, walked = 0; i >= 0 && walked < MAX_HOPS; i--, walked++) {
      const hop = normalize(stripPort(hops[i]!.trim()));
      // A malformed entry is where the believable chain ends: the proxy that appended it is the best we know.
      if (isIP(hop) === 0) return current;
      current = hop;
      if (!this.trusts(hop)) return hop;
    }
    return current;
  }
}

/** `::ffff:1.2.3.4` → `1.2.3.4`; lower case; IPv6 zone dropped. */
function normalize(address: string): string {
  const a = address.toLowerCase().replace(/%.*$/, '');
  return a.startsWith('::ffff:') && isIP(a.slice(7)) === 4 ? a.slice(7) : a;
}

/** `1.2.3.4:5678` → `1.2.3.4`, `[2001:db8::1]:443` → `2001:db8::1` (some proxies append the port). */
function stripPort(hop: string): string {
  if (hop.startsWith('[')) {
    const end = hop.indexOf(']');
    return end < 0 ? hop : hop.slice(1, end);
  }
  const colon = hop.indexOf(':');
  return colon > 0 && colon === hop.lastIndexOf(':') ? hop.slice(0, colon) : hop;
}
