// A warm "Lambda container" for tests and the demo: loads one serialized function module once
// (argv[2]) and handles invocations sent over IPC, one at a time, as the Lambda runtime does.
"use strict";
const modulePath = process.argv[2];
const functionName = process.argv[3];
const timeoutMs = Number(process.argv[4]);
let handler;
try {
  handler = require(modulePath).handler;
} catch (error) {
  process.send({ type: "init-error", error: { name: error && error.name, message: String(error && error.message) } });
  process.exit(1);
}
process.send({ type: "ready" });
let invocation = 0;
process.on("message", async (message) => {
  if (message.type !== "invoke") return;
  invocation += 1;
  const started = Date.now();
  const context = {
    awsRequestId: `req-${process.pid}-${invocation}`,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:123456789012:function:${functionName}`,
    memoryLimitInMB: "1024",
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: "local",
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => timeoutMs - (Date.now() - started),
  };
  try {
    const result = await handler(message.event, context);
    process.send({ type: "result", id: message.id, ok: true, result: result === undefined ? null : result });
  } catch (error) {
    process.send({ type: "result", id: message.id, ok: false, error: { name: error && error.name, message: String(error && error.message) } });
  }
});
