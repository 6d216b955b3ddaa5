/**
 * The Glue package's own unit tests (glue/tests, pytest): JavaScript's value rules, the readers and
 * the contract-driven coercion in Python. Run here so that `npm test` covers them; the contract they
 * read is generated from the TypeScript registry by this test.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { glueContract } from "../handlers/glue-contract.js";
import { GLUE_PYTHON_ROOT, PYTHON } from "./harness/glue-runner.js";
import { PARITY_DATASETS } from "./glue-parity-cases.js";
import { PROJECT_ROOT } from "./harness/stack-config.js";

test("the Glue package's pytest suite passes", () => {
  // Prepare
  const contractPath = join(mkdtempSync(join(tmpdir(), "datalake-glue-contract-")), "contract.json");
  writeFileSync(contractPath, JSON.stringify(glueContract(PARITY_DATASETS)));
  // Act
  const run = spawnSync(PYTHON, ["-m", "pytest", "-q", "-p", "no:cacheprovider", join(GLUE_PYTHON_ROOT, "tests")], {
    cwd: PROJECT_ROOT,
    encoding: "utf8",
    env: { ...process.env, PYTHONPATH: GLUE_PYTHON_ROOT, DATALAKE_GLUE_CONTRACT: contractPath },
  });
  // Assess
  expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
});
