/**
 * The Glue job's names and the EventBridge patterns that watch its runs, as plain data: the job's
 * name per stack, the "Glue Job State Change" events of its finished and failed runs, and the alert
 * text a failed run sends to the alerts topic. Pure module.
 */
import { RUNBOOK, runbookLink } from "../observability/runbook";

/**
 * The job's name: stack-scoped, and known before deployment (the processor's role and environment use it).
 *
 * @example glueJobName("dev") // "datalake-dev-convert"
 */
export function glueJobName(stack: string): string {
  return `datalake-${stack}-convert`;
}

/** The log group prefix the job writes under (`--custom-logGroup-prefix`): `<prefix>/output` and `<prefix>/error`. */
export function glueLogGroupPrefix(stack: string): string {
  return `/datalake/${stack}/glue`;
}

/** Final states of a job run (AWS Glue, "Job run statuses"). */
export const FINAL_RUN_STATES = ["SUCCEEDED", "FAILED", "TIMEOUT", "STOPPED", "ERROR"] as const;
/** Final states that mean the run's objects were not (all) converted. */
export const FAILED_RUN_STATES = ["FAILED", "TIMEOUT", "STOPPED", "ERROR"] as const;

/**
 * The EventBridge pattern of the job's runs ending in one of `states` ("Glue Job State Change", AWS Glue
 * User Guide, "Automating AWS Glue with EventBridge").
 *
 * @example JSON.parse(runStatePattern("datalake-dev-convert", FAILED_RUN_STATES)).detail.state // ["FAILED", "TIMEOUT", "STOPPED", "ERROR"]
 */
export function runStatePattern(jobName: string, states: readonly string[]): string {
  return JSON.stringify({ source: ["aws.glue"], "detail-type": ["Glue Job State Change"], detail: { jobName: [jobName], state: [...states] } });
}

/**
 * The alerts topic's message for a failed run: EventBridge fills the run's fields in
 * (`inputTransformer`), and the text links the runbook section of the README at `runbookUrl`
 * (`ObservabilitySettings.runbookUrl`).
 */
export function failedRunAlert(runbookUrl: string): { readonly inputPaths: Record<string, string>; readonly inputTemplate: string } {
  return {
    inputPaths: { job: "$.detail.jobName", run: "$.detail.jobRunId", state: "$.detail.state", message: "$.detail.message" },
    inputTemplate: JSON.stringify(
      `Glue job run <run> of <job> ended <state>: <message>. Its objects were not converted. What to do: ${runbookLink(RUNBOOK.heavyRunFailed, runbookUrl)}`,
    ),
  };
}
