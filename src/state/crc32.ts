/**
 * CRC-32 (IEEE 802.3, the zlib/PNG polynomial 0xEDB88320, reflected), over bytes or over
 * strings as UTF-8, incrementally.
 *
 * @module
 */

const TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** Continues a CRC-32 (start from `0`) over `bytes`; returns the new value. */
export function crc32Update(crc: number, bytes: Uint8Array): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = (TABLE[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return ~c >>> 0;
}

/** The CRC-32 of some bytes: `crc32(utf8('123456789')) === 0xcbf43926`. */
export function crc32(bytes: Uint8Array): number {
  return crc32Update(0, bytes);
}

const encoder = new TextEncoder();

/** Accumulates text and feeds it, as UTF-8, to a CRC-32 in chunks. */
export class Crc32Text {
  private crc = 0;
  private parts: string[] = [];
  private pending = 0;

  write(text: string): void {
    this.parts.push(text);
    this.pending += text.length;
    if (this.pending >= 1 << 16) this.flush();
  }

  private flush(): void {
    if (this.parts.length === 0) return;
    this.crc = crc32Update(this.crc, encoder.encode(this.parts.join('')));
    this.parts = [];
    this.pending = 0;
  }

  /** The CRC-32 of everything written. */
  digest(): number {
    this.flush();
    return this.crc;
  }
}

/** A CRC-32 as 8 lowercase hex digits. */
export function hex32(value: number): string {
  return (value >>> 0).toString(16).padStart(8, '0');
}
