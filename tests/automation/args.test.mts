import { describe, expect, it } from "vitest";
import { DEFAULT_SMOKE_TIMEOUT_SECONDS, parseCommand, UsageError } from "../../automation/args.js";
import { promotionRefusals, type SourceState } from "../../automation/promotion.js";
import { formatSmokeRecord, parseSmokeRecord } from "../../automation/records.js";

describe("parseCommand", () => {
  it("reads each command into its typed form", () => {
    expect(parseCommand(["preview"])).toMatchObject({ kind: "preview", stacks: [] });
    expect(parseCommand(["preview", "--stack", "dev", "--stack", "prod"])).toMatchObject({ kind: "preview", stacks: ["dev", "prod"] });
    expect(parseCommand(["deploy", "--stack", "dev", "--commit", "abc1234"])).toMatchObject({ kind: "deploy", stack: "dev", commit: "abc1234" });
    expect(parseCommand(["promote", "--from", "dev", "--to", "prod"])).toMatchObject({ kind: "promote", from: "dev", to: "prod", approve: false });
    expect(parseCommand(["promote", "--from", "dev", "--to", "prod", "--approve"])).toMatchObject({ approve: true });
    expect(parseCommand(["smoke", "--stack", "dev"])).toMatchObject({ kind: "smoke", stack: "dev", timeoutSeconds: DEFAULT_SMOKE_TIMEOUT_SECONDS });
    expect(parseCommand(["smoke", "--stack", "dev", "--timeout", "90"])).toMatchObject({ timeoutSeconds: 90 });
    expect(parseCommand(["redrive", "--stack", "prod", "--work-dir", "/src"])).toMatchObject({ kind: "redrive", stack: "prod", workDir: "/src" });
    expect(parseCommand(["promote", "--from", "dev", "--to", "prod", "--preview-only", "--summary", "s.md"])).toMatchObject({ previewOnly: true, approve: false, summaryFile: "s.md" });
    expect(parseCommand(["verify", "--stack", "prod"])).toMatchObject({ kind: "verify", stack: "prod", timeoutSeconds: DEFAULT_SMOKE_TIMEOUT_SECONDS });
    expect(parseCommand(["check-config"])).toMatchObject({ kind: "check-config", stacks: [] });
    expect(parseCommand(["check-config", "--all"])).toMatchObject({ kind: "check-config", stacks: [] });
    expect(parseCommand(["check-config", "--stack", "prod"])).toMatchObject({ kind: "check-config", stacks: ["prod"] });
    expect(parseCommand(["--help"])).toEqual({ kind: "help" });
  });

  it.each([
    [[], "no command given; expected one of preview, deploy, promote, verify, smoke, redrive, check-config"],
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
