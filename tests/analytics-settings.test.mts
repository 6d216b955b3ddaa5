import { describe, expect, test } from "vitest";
import { isScheduleExpression } from "../config/keys.js";
import { ConfigError, parseSettings } from "../config/settings.js";

describe("isScheduleExpression", () => {
  test.each([
    "cron(30 2 * * ? *)",
    "cron(0 12 ? * MON-FRI *)",
    "cron(0/15 * * * ? *)",
    "cron(0 8 1 JAN,JUL ? 2026-2030)",
    "cron(0 10 ? * 6L *)",
    "cron(0 10 ? * 2#1 *)",
    "cron(0 18 L * ? *)",
    "cron(0 9 15W * ? *)",
    "rate(1 day)",
    "rate(6 hours)",
    "rate(30 minutes)",
  ])("accepts %s", (expression) => {
    expect(isScheduleExpression(expression)).toBe(true);
  });

  test.each([
    ["30 2 * * *", "Unix cron without cron(…)"],
    ["cron(30 2 * * *)", "five fields"],
    ["cron(30 2 * * * *)", "neither day field is ?"],
    ["cron(30 2 ? * ? *)", "both day fields are ?"],
    ["cron(60 2 * * ? *)", "minute out of range"],
    ["cron(30 24 * * ? *)", "hour out of range"],
    ["cron(0 8 1 13 ? *)", "month out of range"],
    ["cron(0 8 ? * 8 *)", "day of week out of range"],
    ["cron(0 8 ? * FOO *)", "unknown day name"],
    ["cron(0/0 * * * ? *)", "zero step"],
    ["rate(1 days)", "plural with 1"],
    ["rate(2 day)", "singular with 2"],
    ["rate(0 minutes)", "zero"],
    ["rate(5 seconds)", "unsupported unit"],
  ])("rejects %s (%s)", (expression) => {
    expect(isScheduleExpression(expression)).toBe(false);
  });
});

describe("analytics settings", () => {
  test("defaults: the projection spans 2024-2035 and the job runs at 02:30 UTC for 10 minutes at most", () => {
    const { analytics } = parseSettings({}, "dev");
    expect(analytics.projectionYears).toEqual({ first: 2024, last: 2035 });
    expect(analytics.curatedJob).toEqual({ schedule: "cron(30 2 * * ? *)", memoryMb: 256, timeoutSeconds: 600, runtime: "nodejs24.x", powertools: { powertoolsVersion: "2.35.0", layerVersion: 50 } });
  });

  test("the job uses the stack's Lambda runtime", () => {
    expect(parseSettings({ lambdaRuntime: "nodejs22.x" }, "dev").analytics.curatedJob.runtime).toBe("nodejs22.x");
  });

  test("a last projection year before the first is rejected naming both keys", () => {
    const parse = () => parseSettings({ athenaProjectionFirstYear: "2030", athenaProjectionLastYear: "2029" }, "dev");
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow("datalake:athenaProjectionLastYear: 2029 is not accepted when datalake:athenaProjectionFirstYear is 2030; expected a year no earlier than the first");
  });

  test("a schedule that is not an EventBridge expression is rejected naming the key and what is accepted", () => {
    expect(() => parseSettings({ curatedSchedule: "cron(30 2 * * *)" }, "dev")).toThrow(
      /datalake:curatedSchedule: "cron\(30 2 \* \* \*\)" is not accepted; expected an EventBridge schedule expression: rate\(1 day\)/,
    );
  });

  test("the job's timeout stays within Lambda's 15 minutes and leaves room for a query", () => {
    expect(() => parseSettings({ curatedJobTimeoutSeconds: "901" }, "dev")).toThrow(/datalake:curatedJobTimeoutSeconds: "901" is not accepted; expected an integer from 60 to 900/);
    expect(() => parseSettings({ curatedJobTimeoutSeconds: "30" }, "dev")).toThrow(/datalake:curatedJobTimeoutSeconds/);
  });
});
