/**
 * Issue 16, one test per defect class: every input record is written with its exact value or rejected
 * with its reason and raw text, and memory stays bounded whatever the file's shape. Each test failed
 * on the code before the fix. The property test (bad-input-property.test.mts) mixes them all.
 */
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { describe, expect, test } from "vitest";
import { convertRecords, type ConversionOptions, type ConversionResult, type SinkFactory } from "../handlers/convert.js";
import { EVENTS, USERS, type DatasetDefinition } from "../handlers/datasets.js";
import { loadParquetCodec } from "../handlers/parquet.js";
import { rawEncoding, type RawEncoding } from "../handlers/outputs.js";
import { rejectedObjectKey } from "../handlers/processor.js";
import { boundedPartitionList, SNS_MESSAGE_LIMIT_BYTES } from "../handlers/completion-event.js";
import { pipelineEventMessage } from "../handlers/pipeline-events.js";
import { CLOSING_CONCURRENCY, DEFAULT_MAX_OPEN_FILES } from "../handlers/partition-writers.js";
import { memoryStore, readParquetWithDuckDb, type MemoryStore } from "./harness/sinks.js";

const codec = await loadParquetCodec();
const JSONL: RawEncoding = { format: "jsonl", gzip: false };
const CSV: RawEncoding = { format: "csv", gzip: false };

interface RejectedLine {
  readonly line_number: number;
  readonly reason: string;
  readonly column?: string;
  readonly detail: string;
  readonly record: string;
}

function event(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { event_id: "e1", user_id: 7, event_timestamp: "2026-11-20T10:00:00Z", event_type: "click", properties: { page: "/" }, ...overrides };
}

function eventLines(count: number, start = 0): string[] {
  return Array.from({ length: count }, (_, index) => JSON.stringify(event({ event_id: `e${start + index}`, user_id: start + index })));
}

function userRows(count: number, start = 1): string[] {
  return Array.from({ length: count }, (_, index) => `${start + index},u${start + index}@example.com,User ${start + index},FR,2026-01-01T00:00:00Z`);
}

/** Converts `body` (cut in 64 KiB chunks, as S3 streams it) into an in-memory store. */
async function convert(
  body: string | Buffer,
  options: Partial<ConversionOptions> & { encoding: RawEncoding; dataset?: DatasetDefinition },
  store: MemoryStore = memoryStore(),
): Promise<{ result: ConversionResult; store: MemoryStore; rejected: RejectedLine[] }> {
  const bytes = typeof body === "string" ? Buffer.from(body) : body;
  const chunks = Array.from({ length: Math.ceil(bytes.length / 65_536) }, (_, index) => bytes.subarray(index * 65_536, (index + 1) * 65_536));
  const dataset = options.dataset ?? EVENTS;
  const result = await convertRecords(Readable.from(chunks), {
    name: "n",
    sourceKey: `raw/${dataset.name}/n`,
    landedAt: new Date("2026-11-20T10:00:00Z"),
    openSink: store.openSink,
    codec,
    ...options,
    dataset,
  });
  const rejectedBytes = result.rejectedKey ? store.objects.get(result.rejectedKey) : undefined;
  const rejected = rejectedBytes ? rejectedBytes.toString().trim().split("\n").map((line) => JSON.parse(line) as RejectedLine) : [];
  return { result, store, rejected };
}

async function writtenRows(store: MemoryStore, result: ConversionResult): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for (const output of result.partitions) for (const key of output.keys ?? [output.key]) rows.push(...(await readParquetWithDuckDb(store.objects.get(key)!)).rows);
  return rows;
}

function expectReconciled(result: ConversionResult): void {
  expect(result.rowsWritten + result.rowsRejected).toBe(result.rowsRead);
}

describe("1. a CSV error costs its own line only", () => {
  test("an unclosed quote rejects that line with its text; every following row is read", async () => {
    // Prepare: 2,000 rows, a stray quote in row 500 (line 501)
    const rows = userRows(2000);
    rows[499] = '500,"broken@example.com,Broken,FR,';
    // Act
    const { result, rejected } = await convert(["user_id,email,name,country,signup_timestamp", ...rows].join("\n"), { encoding: CSV, dataset: USERS });
    // Assess
    expect(result).toMatchObject({ rowsRead: 2000, rowsWritten: 1999, rowsRejected: 1 });
    expect(rejected).toEqual([expect.objectContaining({ line_number: 501, reason: "malformed_csv", record: rows[499] })]);
  });

  test("mixed CRLF, LF and CR endings are all line endings", async () => {
    const rows = userRows(6);
    const body = `user_id,email,name,country,signup_timestamp\r\n${rows[0]}\n${rows[1]}\r\n${rows[2]}\r${rows[3]}\n${rows[4]}\r\n${rows[5]}`;
    const { result, store } = await convert(body, { encoding: CSV, dataset: USERS });
    expect(result).toMatchObject({ rowsRead: 6, rowsWritten: 6 });
    expect((await writtenRows(store, result)).map((row) => row.user_id)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  test("a bad row is one rejection with its raw text, never two with record null", async () => {
    const body = ['user_id,email,name,country,signup_timestamp', '1,a@x.com,"A" B,FR,', '2,b@x.com,B,FR,', '3,c@x.com,"C,FR', '4,d@x.com,D,FR,'].join("\n");
    const { result, rejected } = await convert(body, { encoding: CSV, dataset: USERS });
    expect(result).toMatchObject({ rowsRead: 4, rowsWritten: 2, rowsRejected: 2 });
    expect(rejected.map(({ line_number, reason, record }) => ({ line_number, reason, record }))).toEqual([
      { line_number: 2, reason: "malformed_csv", record: '1,a@x.com,"A" B,FR,' },
      { line_number: 4, reason: "malformed_csv", record: '3,c@x.com,"C,FR' },
    ]);
  });

  test("a quoted field spanning lines beyond processorMaxRecordKb rejects its first line whatever the chunking", async () => {
    // Prepare: a 3,000-character record, in one chunk and in 64 KiB-like small chunks
    const body = `user_id,email,name\n1,a@x.com,"${"line\n".repeat(600)}end"\n2,b@x.com,B\n`;
    const chunked = async (size: number) => {
      const store = memoryStore();
      const bytes = Buffer.from(body);
      const chunks = Array.from({ length: Math.ceil(bytes.length / size) }, (_, index) => bytes.subarray(index * size, (index + 1) * size));
      const result = await convertRecords(Readable.from(chunks), { dataset: USERS, encoding: CSV, name: "n", sourceKey: "raw/users/n", landedAt: new Date(0), openSink: store.openSink, codec, maxRecordBytes: 1024 });
      const rejected = store.objects.get(result.rejectedKey!)!.toString().trim().split("\n").map((line) => JSON.parse(line) as RejectedLine);
      return { written: result.rowsWritten, first: rejected[0] };
    };
    // Act
    const outcomes = await Promise.all([body.length, 100, 7].map(chunked));
    // Assess: the record's first line is rejected as still open at the limit; the row after it is read
    for (const outcome of outcomes) {
      expect(outcome.first).toMatchObject({ line_number: 2, reason: "malformed_csv", record: '1,a@x.com,"line' });
      expect(outcome.first!.detail).toContain("not closed within 1024 bytes");
      expect(outcome.written).toBe(1);
    }
  });

  test("a quoted field spanning lines is one record with its exact line breaks", async () => {
    const body = 'user_id,email,name\r\n1,a@x.com,"two\r\nlines"\n2,b@x.com,"one\rbreak"\n';
    const { result, store } = await convert(body, { encoding: CSV, dataset: USERS });
    expect(result).toMatchObject({ rowsRead: 2, rowsWritten: 2 });
    expect((await writtenRows(store, result)).map((row) => row.name)).toEqual(["two\r\nlines", "one\rbreak"]);
  });
});

describe("2. a deeply nested value rejects its record, not the file", () => {
  test("a value nested 10,000 deep is invalid_value; the other rows are written", async () => {
    const deep = `${"[".repeat(10_000)}${"]".repeat(10_000)}`;
    const lines = [...eventLines(2), `{"event_id":"deep","user_id":1,"event_timestamp":"2026-11-20T10:00:00Z","event_type":"x","properties":${deep}}`, `{"event_id":${deep}}`, deep];
    const { result, rejected } = await convert(lines.join("\n"), { encoding: JSONL });
    expect(result).toMatchObject({ rowsRead: 5, rowsWritten: 2, rowsRejected: 3 });
    expect(rejected.map((line) => line.reason)).toEqual(["invalid_value", "invalid_value", "not_an_object"]);
    expect(rejected[0]!.record).toBe(lines[2]);
  });
});

describe("3. memory does not grow with the number of days", () => {
  test("a file of 600 days keeps at most 32 files open (and 4 closing) and writes every row (bench/processor.ts measures 3,000)", async () => {
    // Prepare: 600 days, two rows each, in two rounds over every day, so that files must roll
    const start = Date.UTC(2020, 0, 1);
    const lines: string[] = [];
    for (let round = 0; round < 2; round++) {
      for (let day = 0; day < 600; day++) lines.push(JSON.stringify(event({ event_id: `e${round}-${day}`, event_timestamp: new Date(start + day * 86_400_000).toISOString() })));
    }
    const store = memoryStore();
    let open = 0;
    let mostOpen = 0;
    const counting: SinkFactory = (key, contentType) => {
      const sink = store.openSink(key, contentType);
      if (!key.endsWith(".parquet")) return sink;
      open += 1;
      mostOpen = Math.max(mostOpen, open);
      return { ...sink, stage: async () => void (open -= 1), end: async () => sink.end() };
    };
    // Act
    const { result } = await convert(lines.join("\n"), { encoding: JSONL, openSink: counting, rowGroupRows: 100 }, store);
    // Assess
    expect(mostOpen).toBeLessThanOrEqual(DEFAULT_MAX_OPEN_FILES + CLOSING_CONCURRENCY);
    expect(result).toMatchObject({ rowsRead: 1200, rowsWritten: 1200 });
    expect(result.partitions).toHaveLength(600);
    expect(result.partitions.reduce((sum, output) => sum + output.rows, 0)).toBe(1200);
    expect(result.partitions[0]!.keys).toEqual(["processed/events/year=2020/month=01/day=01/n.parquet", "processed/events/year=2020/month=01/day=01/n-2.parquet"]);
    expect((await writtenRows(store, { ...result, partitions: result.partitions.slice(0, 3) })).map((row) => row.event_id).sort()).toEqual(["e0-0", "e0-1", "e0-2", "e1-0", "e1-1", "e1-2"]);
  });

  test("the completion event's partition list stays under SNS's 256 KiB and says how many it left out", () => {
    const partitions = Array.from({ length: 5000 }, (_, day) => ({ partition: `year=2026/month=01/day=${day}/`, key: `processed/events/year=2026/month=01/day=${day}/${"n".repeat(80)}-0123456789abcdef.parquet`, rows: 1 }));
    const listed = boundedPartitionList(partitions);
    // The longest source a message can name: a 63-character bucket, a 1,024-byte key, a version id.
    const source = { bucket: "b".repeat(63), key: "k".repeat(1024), etag: "e".repeat(40), versionId: "v".repeat(32) };
    const published = pipelineEventMessage("arn:aws:sns:eu-west-1:123456789012:events", {
      type: "processing.completed", dataset: "events", source, rowsRead: 1, rowsWritten: 1, rowsRejected: 0, replacedOutputs: 0, completedAt: new Date(0).toISOString(), ...listed,
    });
    // SNS counts the body and every attribute's name, type and value.
    const attributes = Object.entries(published.MessageAttributes ?? {}).reduce((sum, [name, value]) => sum + name.length + (value.DataType?.length ?? 0) + (value.StringValue?.length ?? 0), 0);
    expect(Buffer.byteLength(published.Message ?? "") + attributes).toBeLessThan(SNS_MESSAGE_LIMIT_BYTES);
    expect(listed.partitions[0]).toEqual({ partition: "year=2026/month=01/day=0", key: partitions[0]!.key, rows: 1 });
    expect(listed.partitionCount).toBe(5000);
    expect(listed.partitions.length + listed.partitionsOmitted!).toBe(5000);
  });
});

describe("4. a long line is rejected in constant memory", () => {
  test("a 5 MB line over a 64 KiB limit is record_too_large with its first KiB; the lines around it are read", async () => {
    const long = JSON.stringify(event({ event_id: "x".repeat(5_000_000) }));
    const { result, rejected } = await convert([...eventLines(2), long, ...eventLines(2, 2)].join("\n"), { encoding: JSONL, maxRecordBytes: 65_536 });
    expect(result).toMatchObject({ rowsRead: 5, rowsWritten: 4, rowsRejected: 1 });
    expect(rejected).toEqual([expect.objectContaining({ line_number: 3, reason: "record_too_large", record: long.slice(0, 1024) })]);
  });

  test("a one-line JSON array of a .json object is read element by element", async () => {
    const elements = Array.from({ length: 20_000 }, (_, index) => JSON.stringify(event({ event_id: `a${index}` })));
    const { result } = await convert(`[${elements.join(",")}]`, { encoding: { ...JSONL, jsonDocument: true }, maxRecordBytes: 4096 });
    expect(result).toMatchObject({ rowsRead: 20_000, rowsWritten: 20_000 });
  });
});

describe("5. values are stored as written", () => {
  test("year 0001 is stored as 0001, not 1901", async () => {
    const { result, store } = await convert(JSON.stringify(event({ event_timestamp: "0001-01-01T00:00:00Z" })), { encoding: JSONL });
    expect(result.partitions.map((output) => output.partition)).toEqual(["year=0001/month=01/day=01/"]);
    expect(String((await writtenRows(store, result))[0]!.event_timestamp)).toMatch(/^0001-01-01 00:00:00/);
  });

  test("numbers read into text keep their text: string columns and map values", async () => {
    const line = '{"event_id":9007199254740993,"user_id":1,"event_timestamp":"2026-11-20T10:00:00Z","event_type":1.50,"properties":{"big":1e400,"n":-0}}';
    const { result, store } = await convert(line, { encoding: JSONL });
    expect(await writtenRows(store, result)).toEqual([
      expect.objectContaining({ event_id: "9007199254740993", event_type: "1.50", properties: [{ key: "big", value: "1e400" }, { key: "n", value: "-0" }] }),
    ]);
  });

  test("bytes that are not UTF-8 and lone surrogates reject their record instead of becoming U+FFFD", async () => {
    const body = Buffer.concat([Buffer.from(`${eventLines(1)[0]}\n`), Buffer.from('{"event_id":"bad\xff"}\n', "latin1"), Buffer.from(`${JSON.stringify(event({ event_id: "\ud800" }))}\n`), Buffer.from(eventLines(1, 1)[0]!)]);
    const { result, rejected } = await convert(body, { encoding: JSONL });
    expect(result).toMatchObject({ rowsRead: 4, rowsWritten: 2, rowsRejected: 2 });
    expect(rejected.map(({ line_number, reason }) => [line_number, reason])).toEqual([
      [2, "invalid_utf8"],
      [3, "invalid_utf8"],
    ]);
  });
});

describe("6. inputs that should be read are read", () => {
  test("a BOM before the first JSON Lines record", async () => {
    expect((await convert(`\uFEFF${eventLines(2).join("\n")}`, { encoding: JSONL })).result).toMatchObject({ rowsRead: 2, rowsWritten: 2 });
  });

  test("a CSV without a header, even of one row, is read in the dataset's column order", async () => {
    const { result, store } = await convert(userRows(1)[0]!, { encoding: CSV, dataset: USERS });
    expect(result).toMatchObject({ rowsRead: 1, rowsWritten: 1 });
    expect((await writtenRows(store, result))[0]).toMatchObject({ user_id: 1, email: "u1@example.com", country: "FR" });
  });

  test("a CSV whose first row is neither a header nor a row of the dataset's columns is rejected row by row, not dropped", async () => {
    const { result, rejected } = await convert("a,b\n1,2\n", { encoding: CSV, dataset: USERS });
    expect(result).toMatchObject({ rowsRead: 2, rowsRejected: 2 });
    expect(rejected[0]!.detail).toMatch(/^no header row/);
  });

  test("CR-only line endings", async () => {
    expect((await convert(eventLines(3).join("\r"), { encoding: JSONL })).result).toMatchObject({ rowsRead: 3, rowsWritten: 3 });
  });

  test("a pretty-printed .json array of objects", async () => {
    const body = JSON.stringify([event({ event_id: "a" }), event({ event_id: "b" }), [1]], null, 2);
    const { result, rejected } = await convert(body, { encoding: rawEncoding("raw/events/export.json")! });
    expect(result).toMatchObject({ rowsRead: 3, rowsWritten: 2, rowsRejected: 1 });
    // The third element starts on the line of its own "[" (the second line that is only "[").
    const thirdLine = body.split("\n").findIndex((line, index) => index > 0 && line.trim() === "[") + 1;
    expect(rejected[0]).toMatchObject({ reason: "not_an_object", line_number: thirdLine, record: "[\n    1\n  ]" });
  });

  test("x-gzip, and gzip bytes under a .jsonl name", async () => {
    expect(rawEncoding("raw/events/a.jsonl", "x-gzip")).toEqual({ format: "jsonl", gzip: true });
    const { result } = await convert(gzipSync(eventLines(3).join("\n")), { encoding: rawEncoding("raw/events/a.jsonl")! });
    expect(result).toMatchObject({ rowsRead: 3, rowsWritten: 3 });
  });

  test("bytes after the last gzip member are ignored and reported, as gzip -d does", async () => {
    const body = Buffer.concat([gzipSync(eventLines(3000).join("\n")), Buffer.from("trailing garbage")]);
    const { result } = await convert(body, { encoding: { format: "jsonl", gzip: true } });
    expect(result).toMatchObject({ rowsRead: 3000, rowsWritten: 3000, ignoredTrailingBytes: 16 });
  });
});

describe("7. rows Athena cannot see are rejected", () => {
  test("a partition year outside the projection is out_of_range, with the range in the detail", async () => {
    const lines = [JSON.stringify(event({ event_timestamp: "2023-12-31T23:59:59Z" })), ...eventLines(1), JSON.stringify(event({ event_timestamp: "2036-01-01T00:00:00Z" }))];
    const { result, rejected } = await convert(lines.join("\n"), { encoding: JSONL, partitionYears: { first: 2024, last: 2035 } });
    expect(result).toMatchObject({ rowsRead: 3, rowsWritten: 1, rowsRejected: 2, rejectedByReason: { out_of_range: 2 } });
    expect(rejected[0]).toMatchObject({ reason: "out_of_range", column: "event_timestamp" });
    expect(rejected[0]!.detail).toContain("2024-2035");
  });
});

describe("8. smaller issues", () => {
  test("a whole-object rejection key stays within S3's 1,024 bytes, and distinct long names stay distinct", () => {
    // A message names its own dataset; one of an unknown dataset may carry a segment of any length.
    const long = (suffix: string) => ({ bucket: "lake", dataset: `${"d".repeat(1000)}${suffix}`, key: `raw/events/${"é".repeat(600)}${suffix}.jsonl`, etag: "0123456789abcdef0123456789abcdef" });
    const keys = [rejectedObjectKey(long("a")), rejectedObjectKey(long("b"))];
    for (const key of keys) expect(Buffer.byteLength(key)).toBeLessThanOrEqual(1024);
    expect(new Set(keys).size).toBe(2);
    expect(rejectedObjectKey({ bucket: "lake", dataset: "events", key: "raw/events/a.jsonl", etag: "e1" })).toMatch(/^rejected\/events\/_objects\/a-[0-9a-f]{16}\.json$/);
  });

  test("lines that are each invalid but parse together as an array are rejected one by one", async () => {
    const lines = ['{"event_id":"a"},{"event_id":"b"}', '{"c":[[{}', "{}]]}"];
    const { result } = await convert(lines.join("\n"), { encoding: JSONL });
    expect(result).toMatchObject({ rowsRead: 3, rowsWritten: 0, rowsRejected: 3, rejectedByReason: { malformed_json: 3 } });
  });

  test("a JSON key written twice rejects the record", async () => {
    const line = eventLines(1)[0]!.replace('"event_type":"click"', '"event_type":"click","event_type":"view"');
    const { result, rejected } = await convert(line, { encoding: JSONL });
    expect(result).toMatchObject({ rowsRead: 1, rowsRejected: 1 });
    expect(rejected[0]).toMatchObject({ reason: "duplicate_key", column: "event_type", record: line });
  });

  test("a CSV header naming a column twice rejects its rows", async () => {
    const { result, rejected } = await convert("user_id,email,email\n1,a@x.com,b@x.com\n", { encoding: CSV, dataset: USERS });
    expect(result).toMatchObject({ rowsRead: 1, rowsRejected: 1 });
    expect(rejected[0]).toMatchObject({ reason: "duplicate_key", column: "email", record: "1,a@x.com,b@x.com" });
  });
});

test("every rejected record keeps its raw text and line number, and counts reconcile", async () => {
  const lines = ["{not json", "", "[1]", JSON.stringify(event({ user_id: "x" })), ...eventLines(1)];
  const { result, rejected } = await convert(lines.join("\n"), { encoding: JSONL });
  expectReconciled(result);
  expect(rejected.map(({ line_number, record }) => [line_number, record])).toEqual([
    [1, lines[0]],
    [3, lines[2]],
    [4, lines[3]],
  ]);
});
