/**
 * The Node.js command line the Lambda Node.js runtime starts a function with, as a pure function
 * of the function's declaration: its runtime's Node major, the experimental features Lambda turns
 * off, and the V8 heap sizes its bootstrap derives from the function's memory. The local function
 * host (tests/harness/sandbox.ts) starts every function with exactly these, so an upload that
 * would fail on Lambda (e.g. `require()` of an ES-module-only package on nodejs22.x) fails here.
 *
 * Rules and sources:
 *
 * | rule | runtimes | flag Lambda adds | dropped when NODE_OPTIONS has |
 * |---|---|---|---|
 * | require() of ES modules off | nodejs20.x, nodejs22.x | `--no-experimental-require-module` | `--experimental-require-module` |
 * | ES/CommonJS module detection off | nodejs22.x | `--no-experimental-detect-module` | `--experimental-detect-module` |
 * | V8 heap sized from memory | all | `--max-semi-space-size=S --max-old-space-size=O` | any `--max-semi-space-size`, `--max-old-space-size` (either spelling, `-` or `_`) |
 *
 * - Experimental features: AWS Lambda Developer Guide, "Building Lambda functions with Node.js"
 *   (docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html), the table of experimental features
 *   Lambda disables: Node.js 20 and 22 get `--no-experimental-require-module`, Node.js 22 also
 *   `--no-experimental-detect-module`; "set the re-enable flag in the NODE_OPTIONS environment
 *   variable … Lambda detects this override and removes the corresponding disable flag". Node.js 24
 *   is in no row of that table, so it gets neither.
 * - Heap: the Lambda Node.js runtime's `bootstrap` script, as extracted from the nodejs24.x runtime
 *   and quoted in "Deep Dive into AWS Lambda (3): Official Node.js Runtime Analysis" (dev.to,
 *   WonderfulSoap, 2026-02-24). It skips the heap options when `$NODE_OPTIONS` contains
 *   `--max_semi_space_size`, `--max_old_space_size`, `--max-semi-space-size` or
 *   `--max-old-space-size` (a substring `case`), and otherwise computes
 *   `new_space=$((AWS_LAMBDA_FUNCTION_MEMORY_SIZE / 10))` under the comment "New space should be 5%
 *   of AWS_LAMBDA_FUNCTION_MEMORY_SIZE, leaving 5% available for buffers … The young generation size
 *   of the V8 heap is three times the size of the semi-space". The stored copy of the article stops
 *   there: the two assignments after it are our reading of that comment, not a quote — a young
 *   generation of 5 % (half of `new_space`) is three semi-spaces, so `semi = new_space / 6`, and the
 *   old space gets the rest after `new_space`, `old = memory - new_space` (90 %).
 * - Order: Node applies NODE_OPTIONS before the command line (Node.js CLI docs, `NODE_OPTIONS`), and
 *   Lambda puts its flags on the command line. Because Lambda drops each flag the function's
 *   NODE_OPTIONS overrides, the two never conflict: the function's NODE_OPTIONS is left as declared,
 *   in the environment, and the flags below go on the command line.
 */

/** The Node.js runtimes whose rules are known here, with their Node major. */
export const NODE_MAJOR_OF_RUNTIME = { "nodejs20.x": 20, "nodejs22.x": 22, "nodejs24.x": 24 } as const;

export type NodeRuntime = keyof typeof NODE_MAJOR_OF_RUNTIME;

export interface ExperimentalFeatureRule {
  readonly feature: string;
  readonly runtimes: readonly NodeRuntime[];
  /** The flag Lambda starts Node with. */
  readonly disableFlag: string;
  /** The flag that, found in the function's NODE_OPTIONS, makes Lambda leave `disableFlag` out. */
  readonly reEnableFlag: string;
}

/** Lambda's table of experimental features it disables (see the module header), in its order. */
export const EXPERIMENTAL_FEATURE_RULES: readonly ExperimentalFeatureRule[] = [
  {
    feature: "require() of ES modules",
    runtimes: ["nodejs20.x", "nodejs22.x"],
    disableFlag: "--no-experimental-require-module",
    reEnableFlag: "--experimental-require-module",
  },
  {
    feature: "automatic ES/CommonJS module detection",
    runtimes: ["nodejs22.x"],
    disableFlag: "--no-experimental-detect-module",
    reEnableFlag: "--experimental-detect-module",
  },
];

/** Substrings of NODE_OPTIONS that make the bootstrap leave the heap sizes to the function. */
const HEAP_OPTION_MARKERS = ["--max_semi_space_size", "--max_old_space_size", "--max-semi-space-size", "--max-old-space-size"] as const;

export interface LambdaNodeArgumentsInput {
  /** The function's declared runtime, e.g. `nodejs22.x`. */
  readonly runtime: string;
  /** The function's own `NODE_OPTIONS` (its environment variable), if any. */
  readonly nodeOptions?: string;
  /** The function's declared memory size (`AWS_LAMBDA_FUNCTION_MEMORY_SIZE`), in MB. */
  readonly memoryMb: number;
}

export interface LambdaNodeArguments {
  readonly nodeMajor: number;
  /** Flags for Node's command line, in Lambda's order: the experimental-feature flags, then the heap sizes. */
  readonly execArgv: readonly string[];
  /** The function's NODE_OPTIONS, unchanged: it stays in the function's environment. */
  readonly nodeOptions: string;
}

export function isNodeRuntime(runtime: string): runtime is NodeRuntime {
  return Object.hasOwn(NODE_MAJOR_OF_RUNTIME, runtime);
}

/** The heap options the bootstrap derives from the memory size (see the module header). */
export function bootstrapHeapFlags(memoryMb: number): readonly string[] {
  const newSpace = Math.floor(memoryMb / 10);
  const semiSpace = Math.floor(newSpace / 6);
  const oldSpace = memoryMb - newSpace;
  return [`--max-semi-space-size=${semiSpace}`, `--max-old-space-size=${oldSpace}`];
}

/** The Node.js command line Lambda starts the function with (see the rules in the module header). */
export function lambdaNodeArguments({ runtime, nodeOptions = "", memoryMb }: LambdaNodeArgumentsInput): LambdaNodeArguments {
  if (!isNodeRuntime(runtime)) throw new Error(`Unknown Lambda Node.js runtime "${runtime}" (known: ${Object.keys(NODE_MAJOR_OF_RUNTIME).join(", ")})`);
  if (!Number.isInteger(memoryMb) || memoryMb < 128) throw new Error(`Memory size must be an integer of at least 128 MB, got ${memoryMb}`);
  const options = nodeOptions.split(/\s+/).filter((token) => token.length > 0);
  const experimental = EXPERIMENTAL_FEATURE_RULES.filter((rule) => rule.runtimes.includes(runtime) && !options.includes(rule.reEnableFlag)).map((rule) => rule.disableFlag);
  const heapSetByFunction = HEAP_OPTION_MARKERS.some((marker) => nodeOptions.includes(marker));
  return {
    nodeMajor: NODE_MAJOR_OF_RUNTIME[runtime],
    execArgv: [...experimental, ...(heapSetByFunction ? [] : bootstrapHeapFlags(memoryMb))],
    nodeOptions,
  };
}
