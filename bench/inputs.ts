/**
 * The benchmark's generated inputs, written in chunks (never held in memory) with a seeded generator,
 * so that every run converts the same bytes:
 * - `events`: the bench's own events over three UTC days, 2-3 properties each, about 230 bytes a line;
 * - `mixed`: events over 30 UTC days with 4-9 properties of mixed cardinality (a handful of values,
 *   hundreds, thousands, nearly unique), about 400 bytes a line: the shape of real product events,
 *   where map keys repeat and map values range from enums to ids.
 */
import { createWriteStream, mkdirSync } from "node:fs";
import { once } from "node:events";
import { dirname } from "node:path";
import { createGzip } from "node:zlib";

export const EVENT_TYPES = ["page_view", "click", "add_to_cart", "purchase", "search", "sign_in"];
export const PAGES = ["/", "/home", "/pricing", "/docs/getting-started", "/cart", "/checkout", "/search", "/account/settings"];
const DEVICES = ["desktop", "mobile", "tablet"];
const BROWSERS = ["chrome", "safari", "firefox", "edge", "samsung"];
const COUNTRIES = Array.from({ length: 60 }, (_, index) => String.fromCharCode(65 + (index % 26), 65 + ((index * 7) % 26)));
const DAY_MS = 86_400_000;

/** A seeded linear congruential generator: the same sequence on every run. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
}

/** Events spread over three UTC days, 2-3 properties each. */
export function* benchEvents(): Generator<string> {
  const random = seeded(42);
  const start = Date.UTC(2026, 10, 20);
  for (let index = 0; ; ) {
    const lines: string[] = [];
    for (let batch = 0; batch < 10_000; batch++, index++) {
      const timestamp = new Date(start + Math.floor(random() * 3 * DAY_MS)).toISOString();
      const type = EVENT_TYPES[index % EVENT_TYPES.length]!;
      const properties: Record<string, string> = { page: PAGES[Math.floor(random() * PAGES.length)]!, device: DEVICES[index % 3]! };
      if (type === "purchase") properties.amount = (random() * 200).toFixed(2);
      if (type === "search") properties.query = `term ${Math.floor(random() * 5000)}`;
      lines.push(
        JSON.stringify({
          event_id: `evt-${index.toString(16).padStart(12, "0")}-${Math.floor(random() * 0xffffffff).toString(16)}`,
          user_id: Math.floor(random() * 100_000) + 1,
          event_timestamp: timestamp,
          event_type: type,
          properties,
        }),
      );
    }
    yield `${lines.join("\n")}\n`;
  }
}

/** Events over 30 UTC days, in arrival order (not sorted by time), with 4-9 properties of mixed cardinality. */
export function* mixedEvents(): Generator<string> {
  const random = seeded(7);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
  const start = Date.UTC(2026, 9, 22);
  // Optional properties beyond the four every event has, each with its own cardinality.
  const optional: readonly [string, () => string][] = [
    ["browser", () => pick(BROWSERS)],
    ["country", () => pick(COUNTRIES)],
    ["campaign", () => `cmp-${Math.floor(random() * 300)}`],
    ["referrer", () => `https://ref${Math.floor(random() * 2000)}.example.com/landing`],
    ["experiment", () => (random() < 0.5 ? "control" : "variant-b")],
    ["amount", () => (random() * 500).toFixed(2)],
    ["query", () => `term ${Math.floor(random() * 20_000)}`],
    ["screen", () => `${pick(["1920x1080", "1366x768", "390x844", "414x896", "2560x1440"])}`],
  ];
  for (let index = 0; ; ) {
    const lines: string[] = [];
    for (let batch = 0; batch < 10_000; batch++, index++) {
      const session = Math.floor(index / 12) * 2654435761;
      const properties: Record<string, string> = {
        page: pick(PAGES),
        device: pick(DEVICES),
        session_id: `s-${(session >>> 0).toString(16).padStart(8, "0")}`,
        app_version: `4.${Math.floor(random() * 30)}.${Math.floor(random() * 10)}`,
      };
      const extra = Math.floor(random() * 6);
      for (let added = 0, at = Math.floor(random() * optional.length); added < extra; added++, at = (at + 1) % optional.length) {
        const [key, value] = optional[at]!;
        properties[key] = value();
      }
      lines.push(
        JSON.stringify({
          event_id: `evt-${index.toString(16).padStart(12, "0")}-${Math.floor(random() * 0xffffffff).toString(16)}`,
          user_id: Math.floor(random() * 250_000) + 1,
          event_timestamp: new Date(start + Math.floor(random() * 30 * DAY_MS)).toISOString(),
          event_type: pick(EVENT_TYPES),
          properties,
        }),
      );
    }
    yield `${lines.join("\n")}\n`;
  }
}

/**
 * Writes chunks of `source` to `path` until `targetBytes` are written (through gzip when asked),
 * awaiting drain: the input never sits in memory.
 *
 * @example await writeGenerated("bench/.data/mixed-200mb.jsonl", mixedEvents(), 200 * 1024 * 1024);
 */
export async function writeGenerated(path: string, source: Iterator<string | Buffer>, targetBytes: number, gzip = false, gzipLevel = 9): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const file = createWriteStream(path);
  const out = gzip ? createGzip({ level: gzipLevel }) : file;
  if (gzip) out.pipe(file);
  let written = 0;
  while (written < targetBytes) {
    const next = source.next();
    if (next.done) break;
    written += Buffer.byteLength(next.value);
    if (!out.write(next.value)) await once(out, "drain");
  }
  out.end();
  await once(file, "finish");
}
