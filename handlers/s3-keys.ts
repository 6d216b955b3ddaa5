/**
 * S3 object keys: decoding them from event notifications, and keeping the ones we build within S3's
 * limit. Pure module.
 */
import { createHash } from "node:crypto";

/** S3's longest key, in bytes of UTF-8 (Amazon S3 User Guide, "Naming Amazon S3 objects"). */
export const MAX_S3_KEY_BYTES = 1024;

/**
 * S3 event notifications carry keys URL-encoded with spaces as `+` (form encoding).
 *
 * @example decodeS3EventKey("raw/events/my+file%C3%A9.json") === "raw/events/my filé.json"
 */
export function decodeS3EventKey(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, " "));
}

/** Zero-byte keys ending in `/` are the folder markers consoles create; they hold no data. */
export function isFolderMarker(key: string, size: number): boolean {
  return key.endsWith("/") && size === 0;
}

/**
 * `segment` when it fits in `maxBytes` of UTF-8; otherwise its longest prefix that leaves room for
 * `~` and 16 hex digits of a hash of `identity`, cut at a character boundary, so that distinct long
 * names stay distinct.
 *
 * @example boundedKeySegment("a".repeat(2000), 100, "raw/x/aaa…").length === 100
 */
export function boundedKeySegment(segment: string, maxBytes: number, identity: string = segment): string {
  if (Buffer.byteLength(segment) <= maxBytes) return segment;
  const digest = `~${createHash("sha256").update(identity).digest("hex").slice(0, 16)}`;
  let kept = "";
  let bytes = 0;
  for (const character of segment) {
    const size = Buffer.byteLength(character);
    if (bytes + size > maxBytes - digest.length) break;
    kept += character;
    bytes += size;
  }
  return `${kept}${digest}`;
}
