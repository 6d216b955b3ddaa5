import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { parse } from "yaml";
import { schema } from "../config/schema.js";
import { configReferenceMarkdown, pulumiProjectDocument } from "../scripts/config-docs.js";
import { PROJECT_ROOT, readStackDocument } from "./harness/stack-config.js";

const readme = readFileSync(join(PROJECT_ROOT, "README.md"), "utf8");

describe("Pulumi.yaml", () => {
  test("declares every schema key with the schema's type, description and default (run `npm run config:sync` when this fails)", () => {
    const declared = parse(readFileSync(join(PROJECT_ROOT, "Pulumi.yaml"), "utf8"));
    expect(declared).toEqual(pulumiProjectDocument());
    expect(Object.keys(declared.config)).toEqual(Object.keys(schema));
  });

  test("every key's default is accepted by its own parser", () => {
    for (const [key, definition] of Object.entries(schema)) {
      const raw = typeof definition.default === "string" ? definition.default : JSON.stringify(definition.default);
      if (key === "alertEmails") continue; // an empty list has no items to check; the list parser is covered below
      expect(definition.parse(raw), key).toEqual({ ok: true, value: definition.default });
    }
    expect(schema.alertEmails.parse("[]")).toEqual({ ok: true, value: [] });
  });
});

describe("stack files", () => {
  for (const stack of ["dev", "prod"]) {
    test(`Pulumi.${stack}.yaml sets only declared project keys and a region`, () => {
      const keys = Object.keys(readStackDocument(stack).config ?? {});
      expect(keys).toContain("aws:region");
      for (const key of keys.filter((candidate) => candidate.startsWith("datalake:"))) {
        expect(Object.keys(schema)).toContain(key.slice("datalake:".length));
      }
    });
  }
});

describe("README configuration reference", () => {
  test("names every key", () => {
    for (const key of Object.keys(schema)) expect(readme).toContain(`\`datalake:${key}\``);
  });

  test("is the table generated from the schema (run `npm run config:sync` when this fails)", () => {
    expect(readme).toContain(configReferenceMarkdown());
  });
});
