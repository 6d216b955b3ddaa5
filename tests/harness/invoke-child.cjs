// Runs in a separate Node process, as the Lambda runtime would: loads the serialized function
// module, calls its `handler` with the event from argv[3] and a Lambda-like context, and writes
// the result (or error) as one JSON line prefixed by a marker on stdout.
"use strict";
const { readFileSync } = require("node:fs");
const [, , modulePath, eventPath, functionName, timeoutMs] = process.argv;
const MARKER = "__LAMBDA_RESULT__";
const started = Date.now();
const context = {
  awsRequestId: `req-${process.pid}-${started}`,
  functionName,
  functionVersion: "$LATEST",
  invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:123456789012:function:${functionName}`,
  memoryLimitInMB: "1024",
  logGroupName: `/aws/lambda/${functionName}`,
  logStreamName: "local",
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => Number(timeoutMs) - (Date.now() - started),
};
(async () => {
  try {
    const handler = require(modulePath).handler;
    const event = JSON.parse(readFileSync(eventPath, "utf8"));
    const result = await handler(event, context);
    process.stdout.write(`\n${MARKER}${JSON.stringify({ ok: true, result: result === undefined ? null : result })}\n`);
  } catch (error) {
    process.stdout.write(`\n${MARKER}${JSON.stringify({ ok: false, error: { name: error && error.name, message: String(error && error.message) } })}\n`);
  }
})();
