import { describe, expect, it } from "vitest";
import { DEFAULT_SMOKE_TIMEOUT_SECONDS, parseCommand, UsageError } from "../../automation/args.js";
import { promotionRefusals, type SourceState } from "../../automation/promotion.js";
import { formatSmokeRecord, parseSmokeRecord } from "../../automation/records.js";
import { curateDays, daysBetween } from "../../automation/failure-queues.js";

describe("parseCommand", () => {
  it("reads each command into its typed form", () => {
    expect(parseCommand(["preview"])).toMatchObject({ kind: "preview", stacks: [] });
    expect(parseCommand(["preview", "--stack", "dev", "--stack", "prod"])).toMatchObject({ kind: "preview", stacks: ["dev", "prod"] });
    expect(parseCommand(["deploy", "--stack", "dev", "--commit", "abc1234"])).toMatchObject({ kind: "deploy", stack: "dev", commit: "abc1234" });
    expect(parseCommand(["promote", "--from", "dev", "--to", "prod"])).toMatchObject({ kind: "promote", from: "dev", to: "prod", approve: false });
    expect(parseCommand(["promote", "--from", "dev", "--to", "prod", "--approve"])).toMatchObject({ approve: true });
    expect(parseCommand(["smoke", "--stack", "dev"])).toMatchObject({ kind: "smoke", stack: "dev", timeoutSeconds: DEFAULT_SMOKE_TIMEOUT_SECONDS });
    expect(parseCommand(["smoke", "--stack", "dev", "--timeout", "90"])).toMatchObject({ timeoutSeconds: 90 });
    expect(parseCommand(["redrive", "--stack", "prod", "--work-dir", "/src"])).toMatchObject({ kind: "redrive", stack: "prod", workDir: "/src", queues: ["dlq", "ingest-failures", "curated-failures"] });
    expect(parseCommand(["redrive", "--stack", "dev", "--queue", "ingest-failures"])).toMatchObject({ queues: ["ingest-failures"] });
    expect(parseCommand(["replay", "--stack", "dev", "--prefix", "raw/events/2026/"])).toMatchObject({ kind: "replay", selection: { kind: "prefix", prefix: "raw/events/2026/" }, dryRun: false, batchSize: 100 });
    expect(parseCommand(["replay", "--stack", "dev", "--dataset", "events", "--from", "2026-11-01", "--to", "2026-11-07", "--dry-run", "--batch-size", "20"])).toMatchObject({
      selection: { kind: "days", dataset: "events", from: "2026-11-01", to: "2026-11-07" },
      dryRun: true,
      batchSize: 20,
    });
    expect(parseCommand(["replay", "--stack", "dev", "--keys-file", "keys.txt"])).toMatchObject({ selection: { kind: "keys-file", path: "keys.txt" }, engine: "lambda" });
    expect(parseCommand(["replay", "--stack", "dev", "--dataset", "events", "--from", "2026-11-01", "--engine", "glue"])).toMatchObject({
      kind: "replay",
      selection: { kind: "days", dataset: "events", from: "2026-11-01", to: "9999-12-31" },
      engine: "glue",
    });
    expect(parseCommand(["curate", "--stack", "dev", "--from", "2026-11-01", "--to", "2026-11-03"])).toMatchObject({ kind: "curate", from: "2026-11-01", to: "2026-11-03" });
    expect(parseCommand(["promote", "--from", "dev", "--to", "prod", "--preview-only", "--summary", "s.md"])).toMatchObject({ previewOnly: true, approve: false, summaryFile: "s.md" });
    expect(parseCommand(["verify", "--stack", "prod"])).toMatchObject({ kind: "verify", stack: "prod", timeoutSeconds: DEFAULT_SMOKE_TIMEOUT_SECONDS });
    expect(parseCommand(["check-config"])).toMatchObject({ kind: "check-config", stacks: [] });
    expect(parseCommand(["check-config", "--all"])).toMatchObject({ kind: "check-config", stacks: [] });
    expect(parseCommand(["check-config", "--stack", "prod"])).toMatchObject({ kind: "check-config", stacks: ["prod"] });
    expect(parseCommand(["--help"])).toEqual({ kind: "help" });
  });

  it.each([
    [[], "no command given; expected one of preview, deploy, promote, verify, smoke, redrive, replay, curate, check-config"],
    [["redrive", "--stack", "dev", "--queue", "processing"], '--queue "processing" is not one of dlq, ingest-failures, curated-failures, all'],
    [["replay", "--stack", "dev"], "replay needs exactly one of --prefix, --dataset or --keys-file"],
    [["replay", "--stack", "dev", "--prefix", "raw/", "--dataset", "events"], "replay needs exactly one of --prefix, --dataset or --keys-file"],
    [["replay", "--stack", "dev", "--dataset", "events", "--from", "11/01/2026"], '--from "11/01/2026" is not a day as YYYY-MM-DD'],
    [["replay", "--stack", "dev", "--dataset", "events", "--from", "2026-11-05", "--to", "2026-11-01"], "--to 2026-11-01 is before --from 2026-11-05"],
    [["replay", "--stack", "dev", "--prefix", "raw/", "--batch-size", "0"], '--batch-size "0" must be a whole number from 1 to 10000'],
    [["replay", "--stack", "dev", "--prefix", "raw/events/", "--engine", "spark"], '--engine "spark" is not one of lambda, glue'],
    [["replay", "--stack", "dev", "--keys-file", "keys.txt", "--engine", "glue"], "--engine glue converts a --prefix or a --dataset, not a --keys-file"],
    [["replay", "--stack", "dev", "--prefix", "raw/events/", "--engine", "glue", "--batch-size", "10"], "--batch-size is for --engine lambda; a Glue run takes up to 5000 objects"],
    [["curate", "--stack", "dev", "--from", "2026-11-01"], "curate needs --to YYYY-MM-DD"],
    [["promote", "--from", "dev", "--to", "prod", "--approve", "--preview-only"], "promote takes --approve or --preview-only, not both"],
    [["deploy", "--stack", "dev", "--summary", "s.md"], "deploy does not take --summary"],
    [["verify", "--stack", "prod", "--timeout", "0"], '--timeout "0" must be a whole number of seconds from 1 to 3600'],
    [["destroy"], 'unknown command "destroy"'],
    [["deploy"], "deploy needs --stack NAME"],
    [["deploy", "--stack", "dev", "--stack", "prod"], "deploy takes one --stack, got 2"],
    [["deploy", "--stack", "dev", "--approve"], "deploy does not take --approve"],
    [["deploy", "--stack", "dev", "extra"], 'unexpected argument "extra" after deploy'],
    [["deploy", "--stack", "dev;rm"], '--stack "dev;rm" is not a stack name'],
    [["deploy", "--stack"], "argument missing"],
    [["deploy", "--stack", "dev", "--force"], "Unknown option '--force'"],
    [["promote", "--from", "dev"], "promote needs --to NAME"],
    [["promote", "--from", "dev", "--to", "dev"], '--from and --to are both "dev"'],
    [["smoke", "--stack", "dev", "--timeout", "soon"], '--timeout "soon" must be a whole number of seconds from 1 to 3600'],
    [["deploy", "--stack", "dev", "--commit", "HEAD"], '--commit "HEAD" is not a git commit SHA'],
  ])("refuses %j: %s", (argv, message) => {
    expect(() => parseCommand(argv)).toThrow(UsageError);
    expect(() => parseCommand(argv)).toThrow(message);
  });
});

describe("promotionRefusals", () => {
  const commit = "abc1234";
  const promotable: SourceState = {
    stack: "dev",
    lastUpdate: { result: "succeeded", environment: { "git.head": commit } },
    commitTag: commit,
    smokeTag: `passed@${commit}`,
  };

  it("allows a source whose last update succeeded from this commit and passed its smoke test", () => {
    expect(promotionRefusals(promotable, commit)).toEqual([]);
    expect(promotionRefusals({ ...promotable, lastUpdate: { result: "succeeded", environment: {} } }, commit)).toEqual([]);
  });

  it("gives every reason at once", () => {
    const refusals = promotionRefusals({ stack: "dev", lastUpdate: { result: "in-progress", environment: { "git.head": "fff0000" } }, commitTag: undefined, smokeTag: "pending@abc1234" }, commit);

    expect(refusals).toEqual([
      "dev: the last update is still in progress (expected succeeded)",
      "dev: the last update ran from commit fff0000, not abc1234",
      "dev: deployed commit is not recorded, not abc1234 (deploy abc1234 to dev first)",
      "dev: the smoke test for commit abc1234 did not finish",
    ]);
  });

  it("does not accept a smoke pass recorded for another commit", () => {
    expect(promotionRefusals({ ...promotable, smokeTag: "passed@0000000" }, commit)).toEqual(["dev: no smoke test recorded for commit abc1234"]);
    expect(promotionRefusals({ ...promotable, smokeTag: "passed" }, commit)).toEqual(["dev: no smoke test recorded for commit abc1234"]);
  });
});

describe("smoke records", () => {
  it("round-trip through the tag value", () => {
    expect(parseSmokeRecord(formatSmokeRecord({ status: "failed", commit: "abc1234" }))).toEqual({ status: "failed", commit: "abc1234" });
    expect(parseSmokeRecord("ok")).toBeUndefined();
    expect(parseSmokeRecord(undefined)).toBeUndefined();
  });
});

describe("curated backfill", () => {
  it("lists every day of a range, month and year ends included", () => {
    expect(daysBetween("2026-12-30", "2027-01-02")).toEqual(["2026-12-30", "2026-12-31", "2027-01-01", "2027-01-02"]);
    expect(daysBetween("2026-11-05", "2026-11-05")).toEqual(["2026-11-05"]);
    expect(() => daysBetween("2026-11-05", "2026-11-01")).toThrow("is not a range of days");
  });

  it("builds the days one after another and reports a failed day without stopping", async () => {
    const invoked: string[] = [];
    const steps: string[] = [];
    const report = await curateDays(
      "2026-11-01",
      "2026-11-03",
      async (day) => {
        invoked.push(day);
        if (day === "2026-11-02") throw new Error("HIVE_BAD_DATA");
      },
      { step: (message) => steps.push(message), stream: () => undefined },
    );
    expect(invoked).toEqual(["2026-11-01", "2026-11-02", "2026-11-03"]);
    expect(report).toEqual({ built: ["2026-11-01", "2026-11-03"], failed: [{ day: "2026-11-02", error: "HIVE_BAD_DATA" }] });
    expect(steps).toContain("curate: 2026-11-02 (2 of 3)");
  });
});
