// The Powertools layer pin (compute/powertools-layer.ts, datalake:powertoolsVersion): the version ↔
// layer-number table as Powertools' documentation lists it, the ARN every function declares, and a
// stack value outside the table stopping the program with a message that names the key.
import { describe, expect, test } from "vitest";
import {
  POWERTOOLS_LAYER_VERSIONS,
  parsePowertoolsLayerArn,
  powertoolsLayer,
  powertoolsLayerArn,
  powertoolsVersionOfLayer,
} from "../compute/powertools-layer.js";
import { ConfigError, parseSettings } from "../config/settings.js";
import { schema } from "../config/schema.js";
import { runProgram } from "./harness/program.js";
import { PROJECT_ROOT } from "./harness/stack-config.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";

describe("the version ↔ layer table", () => {
  test("holds the layer numbers each release's 'Lambda layers' page lists", () => {
    // Assess: 805b8eeb4 (2.35.0), 9d8e6c84b (2.34.0), d7ebe65dd (2.33.1) in powertools-lambda-typescript
    expect(POWERTOOLS_LAYER_VERSIONS).toEqual({ "2.33.1": 48, "2.34.0": 49, "2.35.0": 50 });
  });

  test("the default pin is 2.35.0 on layer 50, for every function", () => {
    // Act
    const settings = parseSettings({}, "scratch");
    // Assess
    expect(schema.powertoolsVersion.default).toBe("2.35.0");
    expect(settings.compute.powertools).toEqual({ powertoolsVersion: "2.35.0", layerVersion: 50 });
    expect(settings.analytics.curatedJob.powertools).toEqual(settings.compute.powertools);
  });

  test("a layer number leads back to its version, and an unknown one to none", () => {
    expect(powertoolsVersionOfLayer(49)).toBe("2.34.0");
    expect(powertoolsVersionOfLayer(25)).toBeUndefined();
    expect(powertoolsLayer("2.33.1").layerVersion).toBe(48);
  });
});

describe("the layer ARN", () => {
  test("is AWS's account and layer name in the stack's region, with the pinned layer number", () => {
    // Act
    const arn = powertoolsLayerArn({ partition: "aws", region: "eu-west-1" }, 50);
    // Assess
    expect(arn).toBe("arn:aws:lambda:eu-west-1:094274105915:layer:AWSLambdaPowertoolsTypeScriptV2:50");
    expect(parsePowertoolsLayerArn(arn)).toEqual({ region: "eu-west-1", layerVersion: 50 });
  });

  test.each([
    ["another account", "arn:aws:lambda:eu-west-1:123456789012:layer:AWSLambdaPowertoolsTypeScriptV2:50"],
    ["another layer", "arn:aws:lambda:eu-west-1:094274105915:layer:AWSLambdaPowertoolsPythonV3:50"],
    ["no version", "arn:aws:lambda:eu-west-1:094274105915:layer:AWSLambdaPowertoolsTypeScriptV2"],
  ])("an ARN of %s is not read as the Powertools layer", (_what, arn) => {
    expect(parsePowertoolsLayerArn(arn)).toBeUndefined();
  });

  test("refuses a region where the layer version is not published and another partition", () => {
    expect(() => powertoolsLayerArn({ partition: "aws", region: "me-south-1" }, 50)).toThrow(/not published in me-south-1.*last is 46/);
    expect(powertoolsLayerArn({ partition: "aws", region: "me-south-1" }, 46)).toContain(":46");
    expect(() => powertoolsLayerArn({ partition: "aws-cn", region: "cn-north-1" }, 50)).toThrow(/aws-cn partition/);
  });
});

describe("datalake:powertoolsVersion", () => {
  test("a version without a cited layer is refused, naming the key and the accepted versions", () => {
    // Act
    const error = (() => {
      try {
        parseSettings({ powertoolsVersion: "2.19.0" }, "dev");
        return undefined;
      } catch (thrown) {
        return thrown;
      }
    })();
    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain('datalake:powertoolsVersion: "2.19.0" is not accepted; expected one of 2.33.1, 2.34.0, 2.35.0');
  });

  test("stops the program under mocks, as pulumi preview would", async () => {
    await expect(runProgram("dev", { "datalake:powertoolsVersion": "latest" })).rejects.toThrow(/datalake:powertoolsVersion: "latest" is not accepted/);
  });
});

describe("one Powertools version everywhere", () => {
  test("the root package.json (types, unit tests) and the local layer tree pin the default version", () => {
    // Prepare
    const read = (path: string) => JSON.parse(readFileSync(join(PROJECT_ROOT, path), "utf8")) as { dependencies: Record<string, string> };
    const pins = (path: string) => Object.entries(read(path).dependencies).filter(([name]) => name.startsWith("@aws-lambda-powertools/"));
    // Assess
    for (const path of ["package.json", "tests/lambda-runtime/layers/powertools/package.json"]) {
      expect(pins(path).length, path).toBeGreaterThan(0);
      for (const [name, version] of pins(path)) expect(`${name}@${version}`).toBe(`${name}@${schema.powertoolsVersion.default}`);
    }
  });
});
