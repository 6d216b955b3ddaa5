/**
 * The environment variables a function sees on Lambda, built from its declaration and where the
 * local host put its code and runtime. Pure: tests/harness/sandbox.ts starts every function process
 * with exactly this environment and nothing inherited from the test process.
 *
 * Sources: AWS Lambda Developer Guide, "Defined runtime environment variables" (the reserved
 * `AWS_*`/`LAMBDA_*` variables, `_HANDLER`, `TZ=:UTC`, `LANG`, `PATH`), and the Node.js runtime's
 * bootstrap for `NODE_PATH` (set only when the function did not set it: the layer folders
 * `/opt/nodejs/node<major>/node_modules` and `/opt/nodejs/node_modules`, then
 * `/var/runtime/node_modules`, `/var/runtime`, `/var/task`). The layer folders are the ones the
 * Lambda Developer Guide lists for Node.js under "Layer paths for each Lambda runtime" (Packaging
 * your layer content): a layer's content is extracted into `/opt`, and `nodejs/node_modules` and
 * `nodejs/nodeX/node_modules` are on NODE_PATH. Here `/opt` is the host's layer folder
 * (tests/harness/lambda-runtime.ts). Not emulated: `AWS_LAMBDA_RUNTIME_API` (the host talks to the
 * process over IPC, not over the Runtime API), `_X_AMZN_TRACE_ID`, `LD_LIBRARY_PATH`.
 */
import { dirname } from "node:path";
import { MOCK_ACCOUNT_ID } from "./mocks";

export interface LambdaEnvironmentInput {
  readonly functionName: string;
  /** The declared runtime, e.g. `nodejs22.x`. */
  readonly runtime: string;
  readonly memorySizeMb: number;
  /** The function's configured variables (its declaration's, with local endpoint values), NODE_OPTIONS included. */
  readonly variables: Readonly<Record<string, string>>;
  /** The function's log group and, with advanced logging, its format and application log level. */
  readonly logging: { readonly logGroup: string; readonly format?: string; readonly applicationLogLevel?: string };
  /** Where the upload is (Lambda's `/var/task`). */
  readonly taskRoot: string;
  /** The runtime directory (Lambda's `/var/runtime`), holding `node_modules`. */
  readonly runtimeDir: string;
  /** Where the function's layers are extracted (Lambda's `/opt`); without layers, nothing is there. */
  readonly optDir?: string;
  /** The Node.js binary the function runs on (its folder comes first on PATH, like `/var/lang/bin`). */
  readonly nodeBinary: string;
  /** The Lambda handler setting: the upload's `__index.js`, export `handler`. */
  readonly handler?: string;
}

/** The region a function runs in: its credentials' region variables, as the local endpoint provides them. */
function regionOf(variables: Readonly<Record<string, string>>): string {
  const region = variables.AWS_REGION ?? variables.AWS_DEFAULT_REGION;
  if (!region) throw new Error("The function's environment names no AWS_REGION (the local endpoint's environment provides it)");
  return region;
}

/** The function's invoked ARN, as the Lambda context reports it. */
export function functionArn(functionName: string, region: string): string {
  return `arn:aws:lambda:${region}:${MOCK_ACCOUNT_ID}:function:${functionName}`;
}

/** The layer folders on NODE_PATH, the runtime's versioned folder first, as the bootstrap orders them. */
function layerNodePaths(input: LambdaEnvironmentInput): string[] {
  if (!input.optDir) return [];
  const major = /^nodejs(\d+)\.x$/.exec(input.runtime)?.[1];
  return [...(major ? [`${input.optDir}/nodejs/node${major}/node_modules`] : []), `${input.optDir}/nodejs/node_modules`];
}

export function lambdaEnvironment(input: LambdaEnvironmentInput): Record<string, string> {
  const region = regionOf(input.variables);
  const day = new Date().toISOString().slice(0, 10).replace(/-/g, "/");
  const defaults: Record<string, string> = {
    PATH: `${dirname(input.nodeBinary)}:/usr/local/bin:/usr/bin/:/bin:/opt/bin`,
    LANG: "en_US.UTF-8",
    NODE_PATH: [...layerNodePaths(input), `${input.runtimeDir}/node_modules`, input.runtimeDir, input.taskRoot].join(":"),
  };
  const reserved: Record<string, string> = {
    _HANDLER: input.handler ?? "__index.handler",
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_EXECUTION_ENV: `AWS_Lambda_${input.runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: input.functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(input.memorySizeMb),
    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
    AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
    AWS_LAMBDA_LOG_GROUP_NAME: input.logging.logGroup,
    AWS_LAMBDA_LOG_STREAM_NAME: `${day}/[$LATEST]local`,
    ...(input.logging.format ? { AWS_LAMBDA_LOG_FORMAT: input.logging.format } : {}),
    ...(input.logging.format === "JSON" && input.logging.applicationLogLevel ? { AWS_LAMBDA_LOG_LEVEL: input.logging.applicationLogLevel } : {}),
    LAMBDA_TASK_ROOT: input.taskRoot,
    LAMBDA_RUNTIME_DIR: input.runtimeDir,
    TZ: ":UTC",
  };
  return { ...defaults, ...input.variables, ...reserved };
}
