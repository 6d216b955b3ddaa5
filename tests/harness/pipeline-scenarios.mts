/**
 * The lifecycle every local-pipeline scenario file shares: one emulator and one dev program run per
 * file, a fresh pipeline per test, and after each test the lake snapshot closed, the policy
 * endpoint's log checked for denials the test did not declare, and the pipeline stopped.
 *
 * @example
 * ```ts
 * const scenario = pipelineScenarios();
 * test("…", async () => {
 *   const pipeline = await scenario.start(scenario.dev());
 *   const lake = scenario.keep(await pipeline.snapshot());
 * });
 * ```
 */
import { afterAll, afterEach, beforeAll } from "vitest";
import { startEndpoint, type AwsEndpoint } from "./emulator.js";
import { runProgram, type ProgramRun } from "./program.js";
import { LocalPipeline, type LocalPipelineOptions } from "./local-pipeline.js";
import type { LakeSnapshot } from "./lake-reader.js";

export interface PipelineScenarios {
  endpoint(): AwsEndpoint;
  /** The dev stack as the program declares it. */
  dev(): ProgramRun;
  /** A pipeline on a clean endpoint, stopped after the test. */
  start(run: ProgramRun, options?: LocalPipelineOptions): Promise<LocalPipeline>;
  /** Closes the snapshot after the test. */
  keep(snapshot: LakeSnapshot): LakeSnapshot;
}

/** Registers the hooks in the calling test file and returns its accessors. */
export function pipelineScenarios(): PipelineScenarios {
  let endpoint: AwsEndpoint | undefined;
  let dev: ProgramRun | undefined;
  let pipeline: LocalPipeline | undefined;
  let snapshot: LakeSnapshot | undefined;

  beforeAll(async () => {
    endpoint = await startEndpoint();
    dev = await runProgram("dev");
  });
  afterEach(async () => {
    snapshot?.close();
    snapshot = undefined;
    const stopping = pipeline;
    pipeline = undefined;
    try {
      stopping?.policy?.assertNoUnexpectedDenials();
    } finally {
      await stopping?.stop();
    }
  });
  afterAll(async () => {
    await endpoint?.stop();
  });

  return {
    endpoint: () => endpoint!,
    dev: () => dev!,
    async start(run, options = {}) {
      pipeline = await LocalPipeline.start(endpoint!, run, options);
      return pipeline;
    },
    keep(taken) {
      snapshot = taken;
      return taken;
    },
  };
}
