import { describe, expect, test } from "vitest";
import { parseSettings, subnetsFit } from "../config/settings.js";
import { schema } from "../config/schema.js";
import { problemsOf, rawFor } from "./harness/config.js";
import { runProgram } from "./harness/program.js";


describe("parseSettings", () => {
  test("an empty configuration takes every schema default", () => {
    // Prepare / Act
    const settings = parseSettings({}, "scratch");
    // Assess
    expect(settings.environment).toBe(schema.environment.default);
    expect(settings.network.vpcCidr).toBe("10.0.0.0/16");
    expect(settings.messaging.maxReceiveCount).toBe(3);
    expect(settings.messaging.queueRetentionSeconds).toBe(4 * 86_400);
    expect(settings.messaging.deadLetterRetentionSeconds).toBe(14 * 86_400);
    expect(settings.compute.runtime).toBe("nodejs24.x");
    expect(settings.isProduction).toBe(false);
  });

  test("the dev and prod stack files parse into settings that differ where their config says", () => {
    const dev = parseSettings(rawFor("dev"), "dev");
    const prod = parseSettings(rawFor("prod"), "prod");
    expect(dev.environment).toBe("dev");
    expect(prod.environment).toBe("prod");
    expect(dev.network.availabilityZones).toBe(2);
    expect(prod.network.availabilityZones).toBe(3);
    expect(dev.network.natStrategy).toBe("Single");
    expect(prod.network.natStrategy).toBe("OnePerAz");
    expect(dev.storage.forceDestroy).toBe(true);
    expect(prod.storage.forceDestroy).toBe(false);
    expect(prod.storage.protectData).toBe(true);
    expect(prod.messaging.alertEmails.length).toBeGreaterThan(0);
    expect(prod.logRetentionDays).toBeGreaterThan(dev.logRetentionDays);
  });

  test("the queue's visibility timeout is derived from the processor's timeout", () => {
    const settings = parseSettings({ processorTimeoutSeconds: "120" }, "scratch");
    expect(settings.messaging.queueVisibilityTimeoutSeconds).toBe(720);
  });

  const invalid: ReadonlyArray<{ readonly title: string; readonly stack: string; readonly overrides: Record<string, unknown>; readonly mentions: readonly string[] }> = [
    { title: "an integer that is not a number", stack: "dev", overrides: { "datalake:maxReceiveCount": "three" }, mentions: ["datalake:maxReceiveCount", '"three"', "an integer from 1 to 1000"] },
    { title: "an integer out of range", stack: "dev", overrides: { "datalake:processorTimeoutSeconds": 901 }, mentions: ["datalake:processorTimeoutSeconds", '"901"', "from 1 to 900"] },
    { title: "a value outside an enumeration", stack: "dev", overrides: { "datalake:natStrategy": "Double" }, mentions: ["datalake:natStrategy", '"Double"', "None, Single, OnePerAz"] },
    { title: "a CIDR that is not CIDR syntax", stack: "dev", overrides: { "datalake:vpcCidr": "10.0.0/16" }, mentions: ["datalake:vpcCidr", '"10.0.0/16"', "CIDR notation"] },
    { title: "a CIDR with host bits set", stack: "dev", overrides: { "datalake:vpcCidr": "10.0.1.0/16" }, mentions: ["datalake:vpcCidr", "no host bits"] },
    { title: "a log retention CloudWatch does not offer", stack: "dev", overrides: { "datalake:logRetentionDays": 10 }, mentions: ["datalake:logRetentionDays", '"10"', "one of 1, 3, 5, 7, 14"] },
    { title: "a malformed email", stack: "prod", overrides: { "datalake:alertEmails": ["not-an-email"] }, mentions: ["datalake:alertEmails", "not-an-email", "email addresses"] },
    { title: "a boolean that is not true or false", stack: "dev", overrides: { "datalake:forceDestroy": "yes" }, mentions: ["datalake:forceDestroy", '"yes"', "true or false"] },
    { title: "a misspelt key", stack: "dev", overrides: { "datalake:maxRecieveCount": 5 }, mentions: ["datalake:maxRecieveCount", "not a known key"] },
    { title: "prod without an alert email", stack: "prod", overrides: { "datalake:alertEmails": [] }, mentions: ["datalake:alertEmails", "environment is prod"] },
    { title: "prod that force-destroys buckets", stack: "prod", overrides: { "datalake:forceDestroy": true }, mentions: ["datalake:forceDestroy", "environment is prod"] },
    { title: "subnets that do not fit in the VPC", stack: "prod", overrides: { "datalake:vpcCidr": "10.0.0.0/20", "datalake:privateSubnetCidrMask": 20 }, mentions: ["datalake:privateSubnetCidrMask", "do not fit", "10.0.0.0/20"] },
    { title: "a batch above 10 without a batching window", stack: "dev", overrides: { "datalake:processorBatchSize": 100, "datalake:processorBatchWindowSeconds": 0 }, mentions: ["datalake:processorBatchWindowSeconds", "at least 1 second"] },
  ];

  for (const { title, stack, overrides, mentions } of invalid) {
    test(`rejects ${title}, naming the key, the value and what is accepted`, () => {
      const message = problemsOf(() => parseSettings(rawFor(stack, overrides), stack));
      for (const text of mentions) expect(message).toContain(text);
    });
  }

  test("lists every problem at once", () => {
    const message = problemsOf(() => parseSettings({ maxReceiveCount: "0", natStrategy: "x", vpcCidr: "nope" }, "dev"));
    expect(message).toContain("3 problems");
    expect(message).toContain("datalake:maxReceiveCount");
    expect(message).toContain("datalake:natStrategy");
    expect(message).toContain("datalake:vpcCidr");
  });
});

describe("subnetsFit", () => {
  test("follows awsx's Auto layout: zones split the VPC, subnets aligned in order", () => {
    expect(subnetsFit(16, [24, 20, 22], 2)).toBe(true);
    expect(subnetsFit(16, [24, 20, 22], 3)).toBe(true);
    // a /17 per zone holds one /18 … but not two /18s after a /24 that pushes alignment
    expect(subnetsFit(16, [24, 18, 18], 2)).toBe(false);
    expect(subnetsFit(16, [18, 18], 2)).toBe(true);
    expect(subnetsFit(20, [22, 22], 4)).toBe(false);
  });
});

describe("the program under mocks", () => {
  test("fails for an invalid stack value with a message that names the key", async () => {
    await expect(runProgram("dev", { "datalake:natStrategy": "Double" })).rejects.toThrow(/datalake:natStrategy: "Double" is not accepted/);
  });
});
