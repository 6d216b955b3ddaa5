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
