/**
 * fast-check generators of hostile raw files for the `events` dataset: valid records mixed with bad
 * quotes, mixed line endings, BOMs, deep nesting, huge lines, bytes that are not UTF-8, extreme
 * numbers and dates. Each generated file carries its oracle, computed from how it was built (not by
 * the processor's code): the exact row each valid record must become, and the line number, reason and
 * raw text of each record that must be rejected.
 */
import { gzipSync } from "node:zlib";
import fc from "fast-check";

/** The limits the property test runs the processor with (PROCESSOR_MAX_RECORD_BYTES, PARTITION_*_YEAR). */
export const HOSTILE_LIMITS = { maxRecordBytes: 2048, firstYear: 1, lastYear: 2999 } as const;

/** A row as DuckDB reads it back: timestamp as epoch milliseconds, map as sorted [key, value] pairs. */
export interface ExpectedRow {
  readonly event_id: string;
  readonly user_id: number;
  readonly ms: number;
  readonly event_type: string;
  readonly properties: readonly (readonly [string, string | null])[] | null;
}

export interface ExpectedRejection {
  readonly line: number;
  readonly reason: string;
  readonly record: string;
}

/** One physical record of a file: its bytes (without line ending) and what must become of it. */
type Entry =
  | { readonly kind: "valid"; readonly bytes: Buffer; readonly row: Omit<ExpectedRow, "user_id">; readonly lineBreaks: number }
  | { readonly kind: "rejected"; readonly bytes: Buffer; readonly reason: string; readonly record: string }
  | { readonly kind: "blank"; readonly bytes: Buffer };

export interface HostileFile {
  readonly format: "jsonl" | "csv";
  readonly key: string;
  readonly body: Buffer;
  readonly rows: readonly ExpectedRow[];
  readonly rejections: readonly ExpectedRejection[];
  /** Physical records: rows read must equal this, and rows written plus rejected too. */
  readonly records: number;
  /** How the file was built, for a failure's report. */
  readonly description: string;
}

const COLUMNS = ["event_id", "user_id", "event_timestamp", "event_type", "properties"];
const MIN_MS = Date.parse("0001-01-01T00:00:00.000Z");
const MAX_MS = Date.parse("2999-12-31T23:59:59.999Z");

/**
 * Well-formed text that is none of the column names (a headerless CSV's first row must not look like
 * a header) and does not start with `"` or `,`: after a stray quote, a valid field that starts so could
 * close it into a well-formed record, which no reader can tell from the intended one.
 */
const text = (maxLength: number) =>
  fc
    .oneof(fc.string({ unit: "grapheme", minLength: 1, maxLength }), fc.string({ unit: fc.constantFrom("a", "é", ",", " ", "\\", '"', "😀", "日", "\n", "\r\n", "x"), minLength: 1, maxLength }))
    .filter((value) => !COLUMNS.includes(value.trim()) && !value.startsWith('"') && !value.startsWith(",") && value.trim() !== "");

/** JSON numbers whose text must be kept when they land in a text column. */
const numberLexeme = fc.constantFrom("9007199254740993", "1e400", "1.50", "-0", "0.1E-5", "123456789012345678901234567890", "2", "-7.000");

const instant = fc.integer({ min: MIN_MS, max: MAX_MS });

/** A map value as written in JSON and as it must be stored. */
const mapValue = fc.oneof(
  text(12).map((value) => ({ json: JSON.stringify(value), stored: value as string | null })),
  numberLexeme.map((lexeme) => ({ json: lexeme, stored: lexeme as string | null })),
  fc.boolean().map((value) => ({ json: String(value), stored: String(value) as string | null })),
  fc.constant({ json: "null", stored: null as string | null }),
);

const properties = fc.option(fc.uniqueArray(fc.tuple(text(8), mapValue), { selector: ([key]) => key, maxLength: 4 }), { nil: undefined });

/** A valid record's parts: text columns may come as JSON numbers (kept as written). */
const validParts = fc.record({
  eventId: fc.oneof({ weight: 3, arbitrary: text(20).map((value) => ({ json: JSON.stringify(value), stored: value })) }, { weight: 1, arbitrary: numberLexeme.map((lexeme) => ({ json: lexeme, stored: lexeme })) }),
  ms: instant,
  eventType: text(10),
  properties,
  spaced: fc.boolean(),
  /** An ignored field nested deep: valid, and must not cost anything. */
  deepExtra: fc.option(fc.integer({ min: 1, max: 400 }), { nil: undefined, freq: 4 }),
});

type ValidParts = typeof validParts extends fc.Arbitrary<infer T> ? T : never;

function expectedRow(parts: ValidParts): Omit<ExpectedRow, "user_id"> {
  const map = parts.properties === undefined ? null : [...parts.properties].map(([key, value]) => [key, value.stored] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return { event_id: parts.eventId.stored, ms: parts.ms, event_type: parts.eventType, properties: map };
}

function jsonRecord(parts: ValidParts, userId: string): string {
  const separator = parts.spaced ? ": " : ":";
  const members = [
    `"event_id"${separator}${parts.eventId.json}`,
    `"user_id"${separator}${userId}`,
    `"event_timestamp"${separator}${JSON.stringify(new Date(parts.ms).toISOString())}`,
    `"event_type"${separator}${JSON.stringify(parts.eventType)}`,
  ];
  if (parts.properties !== undefined) members.push(`"properties"${separator}{${parts.properties.map(([key, value]) => `${JSON.stringify(key)}:${value.json}`).join(",")}}`);
  if (parts.deepExtra !== undefined) members.push(`"extra"${separator}${"[".repeat(parts.deepExtra)}${"]".repeat(parts.deepExtra)}`);
  return `{${members.join(parts.spaced ? ", " : ",")}}`;
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) || value !== value.trim() ? `"${value.replace(/"/g, '""')}"` : value;
}

/** CSV fields are text: a JSON-number event id is written as its text. */
function csvRecord(parts: ValidParts, userId: string): string {
  const map = parts.properties === undefined ? "" : `{${parts.properties.map(([key, value]) => `${JSON.stringify(key)}:${value.json}`).join(",")}}`;
  return [csvField(parts.eventId.stored), userId, new Date(parts.ms).toISOString(), csvField(parts.eventType), map === "" ? "" : csvField(map)].join(",");
}

/** How a hostile line is built for a format; `raw` defaults to the line's own text. */
interface Hostile {
  readonly reason: string;
  readonly text?: string;
  readonly bytes?: Buffer;
}

const longLine = fc.integer({ min: HOSTILE_LIMITS.maxRecordBytes + 1, max: HOSTILE_LIMITS.maxRecordBytes * 4 }).map((length) => ({ reason: "record_too_large", text: `{"event_id":"${"L".repeat(length)}"}` }));
const notUtf8 = fc.constantFrom([0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82]).map((bad) => ({ reason: "invalid_utf8", bytes: Buffer.concat([Buffer.from('{"event_id":"'), Buffer.from(bad), Buffer.from('"}')]) }));
const tooLate = fc.integer({ min: 3000, max: 9999 }).map((year) => `${year}-06-01T00:00:00Z`);

function hostileJson(parts: ValidParts): fc.Arbitrary<Hostile> {
  const base = jsonRecord(parts, "1");
  return fc.oneof(
    fc.constantFrom("{not json", '{"event_id":"x"', "", "nul", "{}}").filter((value) => value !== "").map((value) => ({ reason: "malformed_json", text: value })),
    fc.constantFrom("[1,2]", '"a string"', "42", "null", `${"[".repeat(1000)}${"]".repeat(1000)}`).map((value) => ({ reason: "not_an_object", text: value })),
    fc.constant({ reason: "malformed_json", text: '{"event_id":"a"},{"event_id":"b"}' }),
    fc.constant({ reason: "invalid_value", text: base.replace('"user_id":1', '"user_id":"abc"').replace('"user_id": 1', '"user_id": "abc"') }),
    fc.constant({ reason: "invalid_value", text: `{"event_id":${"[".repeat(900)}${"]".repeat(900)},"user_id":1,"event_timestamp":"2026-01-01T00:00:00Z","event_type":"x"}` }),
    fc.constant({ reason: "missing_required", text: `{"user_id":1,"event_timestamp":"2026-01-01T00:00:00Z","event_type":"x"}` }),
    fc.constant({ reason: "invalid_utf8", text: `{"event_id":"\\ud800","user_id":1,"event_timestamp":"2026-01-01T00:00:00Z","event_type":"x"}` }),
    fc.constant({ reason: "duplicate_key", text: `{"event_id":"a","user_id":1,"user_id":2,"event_timestamp":"2026-01-01T00:00:00Z","event_type":"x"}` }),
    fc.constant({ reason: "invalid_value", text: `{"event_id":"a","user_id":2147483648,"event_timestamp":"2026-01-01T00:00:00Z","event_type":"x"}` }),
    tooLate.map((timestamp) => ({ reason: "out_of_range", text: `{"event_id":"a","user_id":1,"event_timestamp":"${timestamp}","event_type":"x"}` })),
    longLine,
    notUtf8,
  );
}

function hostileCsv(): fc.Arbitrary<Hostile> {
  return fc.oneof(
    fc.constantFrom('"unclosed', 'a,"unclosed,3,x,', 'a,b"c,1,2026-01-01T00:00:00Z,x,', '"a"b,1,2026-01-01T00:00:00Z,x,', "a,1,2026-01-01T00:00:00Z").map((value) => ({ reason: "malformed_csv", text: value })),
    fc.constant({ reason: "invalid_value", text: "a,abc,2026-01-01T00:00:00Z,x," }),
    fc.constant({ reason: "missing_required", text: ",1,2026-01-01T00:00:00Z,x," }),
    tooLate.map((timestamp) => ({ reason: "out_of_range", text: `a,1,${timestamp},x,` })),
    fc.integer({ min: HOSTILE_LIMITS.maxRecordBytes + 1, max: HOSTILE_LIMITS.maxRecordBytes * 4 }).map((length) => ({ reason: "record_too_large", text: `a,1,2026-01-01T00:00:00Z,${"L".repeat(length)},` })),
    fc.constantFrom([0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80]).map((bad) => ({ reason: "invalid_utf8", bytes: Buffer.concat([Buffer.from("a"), Buffer.from(bad), Buffer.from(",1,2026-01-01T00:00:00Z,x,")]) })),
  );
}

/** What the rejected file must hold for a hostile line. */
function rejectedRecord(hostile: Hostile, bytes: Buffer): string {
  if (hostile.reason === "record_too_large") return bytes.subarray(0, 1024).toString("utf8");
  return bytes.toString("utf8");
}

const ending = fc.constantFrom("\n", "\r\n", "\r");

/**
 * A hostile file of the given format, with its oracle.
 *
 * @example fc.assert(fc.asyncProperty(hostileFile("jsonl"), async (file) => { … }))
 */
export function hostileFile(format: "jsonl" | "csv"): fc.Arbitrary<HostileFile> {
  const entry: fc.Arbitrary<{ entry: Entry; ending: string }> = fc.oneof(
    { weight: 5, arbitrary: validParts.map((parts) => ({ parts })) },
    { weight: 3, arbitrary: validParts.chain((parts) => (format === "jsonl" ? hostileJson(parts) : hostileCsv())).map((hostile) => ({ hostile })) },
    { weight: 1, arbitrary: fc.constantFrom("", "  ").map((blank) => ({ blank })) },
  ).chain((choice) =>
    ending.map((lineEnding) => {
      if ("blank" in choice) return { entry: { kind: "blank", bytes: Buffer.from(choice.blank) } as Entry, ending: lineEnding };
      if ("hostile" in choice) {
        const bytes = choice.hostile.bytes ?? Buffer.from(choice.hostile.text!);
        return { entry: { kind: "rejected", bytes, reason: choice.hostile.reason, record: rejectedRecord(choice.hostile, bytes) } as Entry, ending: lineEnding };
      }
      // A valid record; its user id is set from its position when the file is assembled.
      return { entry: { kind: "valid", bytes: Buffer.alloc(0), row: expectedRow(choice.parts), lineBreaks: 0, parts: choice.parts } as Entry & { parts: ValidParts }, ending: lineEnding };
    }),
  );
  return fc
    .record({
      entries: fc.array(entry, { minLength: 1, maxLength: 40 }),
      bom: fc.boolean(),
      header: format === "csv" ? fc.constantFrom("header", "none") : fc.constant("none"),
      gzip: fc.constantFrom("none", "by-name", "by-bytes", "with-trailing-bytes"),
      lastEnding: fc.boolean(),
    })
    .map(({ entries, bom, header, gzip, lastEnding }) => assemble(format, entries, { bom, header: header === "header", gzip, lastEnding }));
}

function assemble(
  format: "jsonl" | "csv",
  entries: readonly { entry: Entry; ending: string }[],
  options: { bom: boolean; header: boolean; gzip: string; lastEnding: boolean },
): HostileFile {
  const parts: Buffer[] = [];
  const rows: ExpectedRow[] = [];
  const rejections: ExpectedRejection[] = [];
  let line = 1;
  let records = 0;
  // A headerless CSV must start with a valid record: its first row decides how fields map to columns.
  const csvHeaderless = format === "csv" && !options.header;
  const ordered = csvHeaderless ? [...entries].sort((a, b) => Number(b.entry.kind === "valid") - Number(a.entry.kind === "valid")) : entries;
  if (csvHeaderless && ordered[0]?.entry.kind !== "valid") return assemble(format, entries, { ...options, header: true });
  if (options.bom) parts.push(Buffer.from([0xef, 0xbb, 0xbf]));
  if (format === "csv" && options.header) {
    parts.push(Buffer.from(`${COLUMNS.join(",")}\n`));
    line += 1;
  }
  let previousEnding = "";
  ordered.forEach(({ entry, ending }, index) => {
    let bytes = entry.bytes;
    if (entry.kind === "valid") {
      const userId = rows.length + 1;
      const valid = (entry as Entry & { parts: ValidParts }).parts;
      const recordText = format === "jsonl" ? jsonRecord(valid, String(userId)) : csvRecord(valid, String(userId));
      bytes = Buffer.from(recordText);
      rows.push({ ...entry.row, user_id: userId });
      records += 1;
      parts.push(bytes);
      line += 1 + countBreaks(recordText);
    } else {
      // A blank line right after a lone CR must not end with LF: CR + LF would be one ending.
      if (entry.kind === "blank" && bytes.length === 0 && previousEnding === "\r" && ending === "\n") ending = "\r\n";
      if (entry.kind === "rejected") {
        rejections.push({ line, reason: entry.reason, record: entry.record });
        records += 1;
      }
      parts.push(bytes);
      line += 1;
    }
    const isLast = index === ordered.length - 1;
    if (!isLast || options.lastEnding) parts.push(Buffer.from(ending));
    previousEnding = ending;
  });
  let body = Buffer.concat(parts);
  let key = `raw/events/hostile.${format}`;
  if (options.gzip !== "none") {
    body = gzipSync(body);
    if (options.gzip === "by-name") key += ".gz";
    if (options.gzip === "with-trailing-bytes") body = Buffer.concat([body, Buffer.from("trailing bytes")]);
  }
  const description = `${format}, ${ordered.length} lines (${rows.length} valid, ${rejections.length} rejected), bom=${options.bom}, header=${options.header}, gzip=${options.gzip}`;
  return { format, key, body, rows, rejections, records, description };
}

/** Line endings inside a valid CSV record's quoted fields (CRLF counts once). */
function countBreaks(text: string): number {
  return (text.match(/\r\n|\r|\n/g) ?? []).length;
}

/**
 * Checks `property` on `runs` hostile files of a format; a failure reports its seed (`seed` replays
 * it) and, with `shrink`, is shrunk to a smallest failing file. Here rather than in the test so that the test file
 * (an ES module) and these generators share one copy of fast-check.
 *
 * @example await assertOnHostileFiles("csv", { runs: 8 }, async (file) => { … });
 */
export async function assertOnHostileFiles(format: "jsonl" | "csv", options: { readonly runs: number; readonly seed?: number; readonly shrink?: boolean }, property: (file: HostileFile) => Promise<void>): Promise<void> {
  await fc.assert(fc.asyncProperty(hostileFile(format), property), {
    numRuns: options.runs,
    endOnFailure: !options.shrink,
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
  });
}
