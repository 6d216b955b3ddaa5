/**
 * A fixture for tests/cleanup.test.mts, skipped unless DATALAKE_CLEANUP_FIXTURE is set: it uses every
 * part of the harness that makes temporary folders (the TLS endpoint, the fault proxy, the policy
 * endpoint, function uploads and the runtime folder, lake copies, Parquet read-backs), stops some of
 * them and deliberately leaves others running, as a failing test would, so that the cleanup test can
 * check that none of their folders outlives the process.
 */
import { describe, expect, test } from "vitest";
import { startEndpoint } from "./harness/emulator.js";
import { FaultProxy } from "./harness/fault-proxy.js";
import { PolicyEndpoint } from "./harness/iam/endpoint.js";
import { policyModelFromRun } from "./harness/iam/model.js";
import { LocalPipeline } from "./harness/local-pipeline.js";
import { runProgram } from "./harness/program.js";
import { Substitutions } from "./harness/provision.js";
import { memoryStore, parquetScratchFile, readParquetWithDuckDb } from "./harness/sinks.js";

describe.skipIf(process.env.DATALAKE_CLEANUP_FIXTURE === undefined)("every temporary folder of the harness, used", () => {
  test("stopped where a test stops them, left running where a failing test would", async () => {
    const endpoint = await startEndpoint();
    const run = await runProgram("dev");

    // Stopped as tests stop them.
    const proxy = await FaultProxy.start(endpoint);
    await proxy.stop();
    const policy = await PolicyEndpoint.start(endpoint, policyModelFromRun(run, { substitutions: new Substitutions() }));
    await policy.stop();
    const pipeline = await LocalPipeline.start(endpoint, run);
    await pipeline.land("raw/events/a.jsonl", '{"event_id":"a"}\n');
    await pipeline.drive();
    const lake = await pipeline.snapshot();
    lake.close();
    const store = memoryStore();
    expect(store.objects.size).toBe(0);

    // Left behind, as a test that fails before its afterAll leaves them: the process exit removes them.
    await FaultProxy.start(endpoint);
    await pipeline.snapshot();
    parquetScratchFile(Buffer.from("PAR1"));
    await readParquetWithDuckDb(Buffer.from("not parquet")).catch(() => undefined);
  });
});
