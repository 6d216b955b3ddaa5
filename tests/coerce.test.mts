/**
 * Coercion of hostile values (issue 16, classes 2, 5 and 8): years 0000–0099, numbers read into text
 * columns, lone surrogates, deep values and keys written twice. The everyday coercions are tested in
 * convert.test.mts.
 */
import { describe, expect, test } from "vitest";
import { describe as describeValue, recordCoercer, type CoercedValue } from "../handlers/coerce.js";
import { daysFromCivil, isCalendarDay } from "../handlers/civil-time.js";
import { duplicateKey, memberText, minimumNumberTextLength } from "../handlers/json-text.js";
import type { DatasetDefinition } from "../handlers/datasets.js";

const TEXTS: DatasetDefinition = {
  name: "texts",
  description: "Test dataset",
  columns: [
    { name: "s", type: "string", required: true, description: "" },
    { name: "b", type: "bigint", required: false, description: "" },
    { name: "t", type: "timestamp", required: false, description: "" },
    { name: "day", type: "date", required: false, description: "" },
    { name: "m", type: "map<string,string>", required: false, description: "" },
  ],
  formats: ["jsonl", "csv"],
};

/** Coerces one JSON line as the JSON Lines reader does: parsed, with its text as the source. */
function coerceLine(line: string): { rejection: ReturnType<ReturnType<typeof recordCoercer>>; values: CoercedValue[] } {
  const values: CoercedValue[] = [];
  const rejection = recordCoercer(TEXTS)(JSON.parse(line) as Record<string, unknown>, values, line);
  return { rejection, values };
}

function deepArray(depth: number): string {
  return `${"[".repeat(depth)}${"]".repeat(depth)}`;
}

describe("years 0000-0099 (Date.UTC's two-digit rule)", () => {
  test.each([
    ["0001-01-01T00:00:00Z", -62135596800000],
    ["0001-01-01T00:00:00.000Z", -62135596800000],
    ["0099-12-31T23:59:59Z", Date.parse("0099-12-31T23:59:59Z")],
    ["0000-02-29T12:00:00+01:00", Date.parse("0000-02-29T11:00:00Z")],
    ["0050-06-15 10:00", Date.parse("0050-06-15T10:00:00Z")],
  ])("reads the timestamp %s as written", (text, expected) => {
    const { rejection, values } = coerceLine(JSON.stringify({ s: "x", t: text }));
    expect(rejection).toBeUndefined();
    expect(values[2]).toBe(expected);
    expect(new Date(values[2] as number).toISOString().slice(0, 4)).toBe(text.slice(0, 4));
  });

  test("reads the date 0001-01-01 as day -719162 and knows year 0 is a leap year, 1900 is not", () => {
    expect(coerceLine(JSON.stringify({ s: "x", day: "0001-01-01" })).values[3]).toBe(-719162);
    expect(isCalendarDay(0, 2, 29)).toBe(true);
    expect(isCalendarDay(1900, 2, 29)).toBe(false);
    expect(coerceLine(JSON.stringify({ s: "x", day: "1900-02-29" })).rejection).toMatchObject({ reason: "invalid_value", column: "day" });
    expect(daysFromCivil(2026, 11, 20) * 86_400_000).toBe(Date.UTC(2026, 10, 20));
  });

  test("rejects a zone offset beyond 23:59", () => {
    expect(coerceLine(JSON.stringify({ s: "x", t: "2026-11-20T10:00:00+24:00" })).rejection).toMatchObject({ reason: "invalid_value", column: "t" });
  });
});

describe("numbers read into text columns keep the text they were written as", () => {
  test.each([
    ["9007199254740993", "9007199254740993"],
    ["1e400", "1e400"],
    ["1.50", "1.50"],
    ["-0", "-0"],
    ["0.1E-5", "0.1E-5"],
  ])("a string column given %s stores %j", (lexeme, expected) => {
    const { rejection, values } = coerceLine(`{"s":${lexeme}}`);
    expect(rejection).toBeUndefined();
    expect(values[0]).toBe(expected);
  });

  test("map values keep their text; other map values are untouched", () => {
    const { rejection, values } = coerceLine('{"s":"x","m":{"n":9007199254740993,"f":1.50, "big":1e400,"t":true,"z":null,"s":"a"}}');
    expect(rejection).toBeUndefined();
    expect(values[4]).toEqual({ n: "9007199254740993", f: "1.50", big: "1e400", t: "true", z: null, s: "a" });
  });

  test("a map written as JSON text (CSV) keeps the text of its numbers", () => {
    const values: CoercedValue[] = [];
    expect(recordCoercer(TEXTS)({ s: "x", m: '{"n": 9007199254740993, "f": 1.50}' }, values)).toBeUndefined();
    expect(values[4]).toEqual({ n: "9007199254740993", f: "1.50" });
  });

  test("a bigint column reads integers beyond 2^53 exactly, and rejects those beyond 64 bits", () => {
    expect(coerceLine('{"s":"x","b":9223372036854775807}').values[1]).toBe(9223372036854775807n);
    expect(coerceLine('{"s":"x","b":-9007199254740993}').values[1]).toBe(-9007199254740993n);
    expect(coerceLine('{"s":"x","b":9223372036854775808}').rejection).toMatchObject({ reason: "invalid_value", column: "b" });
    expect(coerceLine('{"s":"x","b":1.5e300}').rejection).toMatchObject({ reason: "invalid_value", column: "b" });
  });
});

describe("text UTF-8 cannot encode", () => {
  test.each([
    ['{"s":"a\\ud800b"}', "s"],
    ['{"s":"\\udc00"}', "s"],
    ['{"s":"x","m":{"k":"\\ud83d"}}', "m"],
    ['{"s":"x","m":{"\\udfff":"v"}}', "m"],
  ])("%s is rejected as invalid_utf8, not replaced with U+FFFD", (line, column) => {
    expect(coerceLine(line).rejection).toMatchObject({ reason: "invalid_utf8", column });
  });

  test("a surrogate pair is valid text", () => {
    expect(coerceLine('{"s":"\\ud83d\\ude00"}').values[0]).toBe("😀");
  });
});

describe("deep values never throw out of validation", () => {
  test.each([10_000, 100_000])("a value nested %i deep is rejected as invalid_value with a short detail", (depth) => {
    const line = `{"s":${deepArray(depth)},"m":{"k":${deepArray(depth)}}}`;
    const { rejection } = coerceLine(line);
    expect(rejection).toMatchObject({ reason: "invalid_value", column: "s" });
    expect(rejection!.detail.length).toBeLessThan(200);
    expect(coerceLine(`{"s":"x","m":${deepArray(depth)}}`).rejection).toMatchObject({ reason: "invalid_value", column: "m" });
  });

  test("describe names containers instead of serializing them", () => {
    const deep: unknown[] = [];
    let cursor = deep;
    for (let depth = 0; depth < 20_000; depth++) cursor = (cursor[0] = []) as unknown[];
    expect(describeValue(deep)).toBe("an array of 1 item");
    expect(describeValue({ a: 1, b: 2, c: 3, d: 4 })).toBe('an object with keys "a", "b", "c", … (4 keys)');
    expect(describeValue("x".repeat(10_000)).length).toBeLessThanOrEqual(80);
  });
});

describe("keys written twice", () => {
  test.each([
    ['{"s":"a","s":"b"}', "s"],
    ['{"s":"a","m":{"k":"1","k":"2"}}', "m"],
    ['{ "s" : "a" , "b" : 1 , "s" : "a" }', "s"],
    ['{"s":"a","m":{"k":1,"k":1}}', "m"],
  ])("%s is rejected as duplicate_key", (line, column) => {
    expect(coerceLine(line).rejection).toMatchObject({ reason: "duplicate_key", column });
  });

  test("a map written as JSON text (CSV) with a key twice is rejected", () => {
    expect(recordCoercer(TEXTS)({ s: "x", m: '{"k":"1","k":"2"}' }, [])).toMatchObject({ reason: "duplicate_key", column: "m" });
  });

  test("records with whitespace, escapes, ignored fields or long number forms but no repeat are valid", () => {
    for (const line of ['{ "s" : "a\\u0062" , "b" : 1e5 , "extra" : { "x" : 1 , "x" : 2 } }', '{"s":"\\"q\\"","m":{"a":"1","b":"2"}}', '{"extra":[1,2,3],"s":"a","m":{}}']) {
      expect(coerceLine(line).rejection, line).toBeUndefined();
    }
  });
});

describe("json-text: reading what JSON.parse drops", () => {
  test("memberText finds the last occurrence of a path, skipping strings that look like structure", () => {
    const text = '{"a":"},{\\"m\\":1","m":{"n":1,"n":2.50},"z":[{"m":3}]}';
    expect(memberText(text, ["m", "n"])).toBe("2.50");
    expect(memberText(text, ["a"])).toBe('"},{\\"m\\":1"');
    expect(memberText(text, ["missing"])).toBeUndefined();
  });

  test("duplicateKey reports repeats at the top level and in the named objects only", () => {
    expect(duplicateKey('{"a":1,"b":{"x":1,"x":2}}', new Set(["c"]))).toBeUndefined();
    expect(duplicateKey('{"a":1,"b":{"x":1,"x":2}}', new Set(["b"]))).toBe("b.x");
    expect(duplicateKey('{"a\\u0062":1,"ab":2}')).toBe("ab");
  });

  test.each([
    [0, 1],
    [7, 1],
    [69872, 5],
    [100000, 3],
    [-1230000, 6],
    [12.5, 3],
    [1e21, 1],
    [0.000001, 1],
  ])("minimumNumberTextLength(%d) = %i", (value, expected) => {
    expect(minimumNumberTextLength(value)).toBe(expected);
  });
});
