// The runtime side of one local Lambda sandbox (tests/harness/sandbox.ts starts it): plays the
// Lambda Node.js runtime's part inside the function's process. Loads the handler named by
// _HANDLER from LAMBDA_TASK_ROOT once (the init phase), then handles invocations sent over IPC one
// at a time, as the runtime does. Per invocation it builds the Lambda context from the deadline the
// host sends (so getRemainingTimeInMillis() counts down to the real kill) and reports the
// invocation's peak RSS: it resets the kernel's high-water mark (/proc/self/clear_refs <- "5")
// before the handler and reads VmHWM from /proc/self/status after.
// Plain CommonJS with Node built-ins only: it runs on the runtime's Node, beside the function.
"use strict";
const { readFileSync, writeFileSync } = require("node:fs");
const { join } = require("node:path");
const { performance } = require("node:perf_hooks");

/** Lambda's runtime: a syntax error or a missing module at init gets its own error type. */
function initError(error) {
  const name = error instanceof SyntaxError ? "Runtime.UserCodeSyntaxError" : error && error.code === "MODULE_NOT_FOUND" ? "Runtime.ImportModuleError" : (error && error.name) || "Error";
  return { name, message: String(error && error.message), ...(error && error.code ? { code: String(error.code) } : {}) };
}

/** As the runtime reports a handler's error: any object with a string name and message counts as an error. */
function errorOf(error) {
  const isError = error instanceof Error || (error && typeof error.name === "string" && typeof error.message === "string");
  if (isError) return { name: error.name, message: error.message, ...(error.code ? { code: String(error.code) } : {}) };
  return { name: typeof error, message: String(error) };
}

/** Resets the peak-RSS mark; false where the kernel does not allow it (then the host's polling counts). */
function resetPeakRss() {
  try {
    writeFileSync("/proc/self/clear_refs", "5");
    return true;
  } catch {
    return false;
  }
}

function peakRssKb() {
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync("/proc/self/status", "utf8"));
  return match ? Number(match[1]) : null;
}

const [moduleName, exportName] = process.env._HANDLER.split(".");
let handler;
// The function's own init: loading its module, which runs the callback factory (Pulumi's serialized
// `exports.handler = factory()`). Process start-up and this host's own code are not counted.
let loadStarted;
let handlerLoadMs;
try {
  loadStarted = performance.now();
  handler = require(join(process.env.LAMBDA_TASK_ROOT, `${moduleName}.js`))[exportName];
  handlerLoadMs = performance.now() - loadStarted;
  if (typeof handler !== "function") throw Object.assign(new Error(`${process.env._HANDLER} is undefined or not exported`), { name: "Runtime.HandlerNotFound" });
} catch (error) {
  process.send({ type: "init-error", error: initError(error) }, () => process.exit(1));
  return;
}
// The AWS SDK clients the init loaded (what a cold start pays for), from the module cache.
const sdkClientsAtInit = [...new Set(Object.keys(require.cache).flatMap((path) => /node_modules\/(@aws-sdk\/client-[^/]+)\//.exec(path)?.slice(1) ?? []))].sort();
process.send({ type: "ready", handlerLoadMs, sdkClientsAtInit });

const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME;
process.on("message", async (message) => {
  if (message.type !== "invoke") return;
  const context = {
    awsRequestId: message.requestId,
    functionName,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: message.invokedFunctionArn,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, message.deadlineMs - Date.now()),
  };
  const measured = resetPeakRss();
  let outcome;
  try {
    const result = await handler(message.event, context);
    outcome = { ok: true, result: result === undefined ? null : result };
  } catch (error) {
    outcome = { ok: false, error: errorOf(error) };
  }
  process.send({ type: "result", id: message.id, ...outcome, peakRssKb: measured ? peakRssKb() : null });
});
