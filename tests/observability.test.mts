import { beforeAll, describe, expect, test } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runProgram, type ProgramRun } from "./harness/program.js";
import type { RecordedResource } from "./harness/mocks.js";
import { PROJECT_ROOT } from "./harness/stack-config.js";
import { parseSettings, type Settings } from "../config/settings.js";
import { readRawConfig } from "../config/index.js";
import { DATASETS, DATASET_NAMES } from "../handlers/datasets.js";
import { compositeRule } from "../observability/alarms.js";
import { errorLogLinesMetric } from "../observability/metrics.js";
import { missingRunbookSections } from "../observability/runbook.js";

const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const COMPOSITE = "aws:cloudwatch/compositeAlarm:CompositeAlarm";
const FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter";
const FUNCTION = "aws:lambda/function:Function";
const QUEUE = "aws:sqs/queue:Queue";
const README = readFileSync(join(PROJECT_ROOT, "README.md"), "utf8");

/** The functions by key, as compute and analytics name their resources. */
const FUNCTIONS = { ingest: "datalake-ingest", processor: "datalake-processor", curated: "datalake-curated" } as const;

const runs: Record<string, ProgramRun> = {};
beforeAll(async () => {
  runs.dev = await runProgram("dev");
  runs.prod = await runProgram("prod");
});

describe.each(["dev", "prod"])("stack %s", (stack) => {
  const run = () => runs[stack]!;
  /** The stack's settings as the program read them from its config. */
  const settings = (): Settings => parseSettings(readRawConfig(run().config), stack);
  const alarm = (key: string) => run().one(ALARM, `datalake-${key}`);
  const alerts = () => run().one("aws:sns/topic:Topic", "datalake-alerts").state.arn as string;
  const fn = (key: keyof typeof FUNCTIONS) => run().one(FUNCTION, FUNCTIONS[key]);
  const namespace = `datalake/${stack}`;

  test("every alarm, composite included, sends ALARM and OK to the alerts topic", () => {
    const all: RecordedResource[] = [...run().all(ALARM), ...run().all(COMPOSITE)];
    expect(all.length).toBeGreaterThanOrEqual(20);
    for (const resource of all) {
      expect(resource.inputs.alarmActions, resource.name).toEqual([alerts()]);
      expect(resource.inputs.okActions, resource.name).toEqual([alerts()]);
    }
  });

  test("every metric alarm makes a deliberate missing-data choice and has a stack-scoped name", () => {
    for (const resource of run().all(ALARM)) {
      expect(["breaching", "notBreaching", "missing"], resource.name).toContain(resource.inputs.treatMissingData);
      expect(resource.inputs.name).toBe(resource.name.replace(/^datalake-/, `datalake-${stack}-`));
    }
  });

  test("every stack output the README's commands and runbook read exists", () => {
    const named = new Set([...README.matchAll(/pulumi stack output (\w+)/g), ...README.matchAll(/stack outputs? `(\w+)`(?:, `(\w+)`)?/g)].flatMap((match) => match.slice(1).filter(Boolean)));
    expect(named.size).toBeGreaterThan(10);
    for (const output of named) expect(Object.keys(run().outputs), output).toContain(output);
  });

  test("every alarm's description links to a README runbook section that exists", () => {
    const descriptions = [...run().all(ALARM), ...run().all(COMPOSITE)].map((resource) => resource.inputs.alarmDescription as string);
    const runbookUrl = settings().observability.runbookUrl;
    expect(runbookUrl).toMatch(/^https:\/\/.+\/blob\/HEAD\/README\.md$/);
    for (const description of descriptions) expect(description).toMatch(new RegExp(`What to do: ${runbookUrl.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}#[\\w-]+$`));
    expect(missingRunbookSections(descriptions, README)).toEqual([]);
  });

  test.each(Object.keys(FUNCTIONS) as (keyof typeof FUNCTIONS)[])("the %s function has one alarm per failure kind on its own name", (key) => {
    const functionName = fn(key).state.name;
    const observability = settings().observability;
    expect(alarm(`${key}-errors`).inputs).toMatchObject({
      namespace: "AWS/Lambda",
      metricName: "Errors",
      statistic: "Sum",
      dimensions: { FunctionName: functionName },
      threshold: observability.functionErrorsThreshold,
      period: observability.alarmPeriodSeconds,
      evaluationPeriods: observability.alarmEvaluationPeriods,
    });
    expect(alarm(`${key}-throttles`).inputs).toMatchObject({
      metricName: "Throttles",
      dimensions: { FunctionName: functionName },
      threshold: observability.functionThrottlesThreshold,
    });
    expect(alarm(`${key}-duration`).inputs).toMatchObject({
      metricName: "Duration",
      extendedStatistic: "p99",
      dimensions: { FunctionName: functionName },
      threshold: fn(key).inputs.timeout * 1000 * 0.8,
    });
    expect(alarm(`${key}-duration`).inputs.statistic).toBeUndefined();
    expect(alarm(`${key}-error-logs`).inputs).toMatchObject({
      namespace,
      metricName: errorLogLinesMetric(key),
      threshold: observability.errorLogLinesThreshold,
    });
  });

  test("every function is watched: one errors alarm per recorded function", () => {
    const watched = run()
      .all(ALARM)
      .filter((resource) => resource.inputs.metricName === "Errors")
      .map((resource) => resource.inputs.dimensions.FunctionName);
    expect(watched.sort()).toEqual(run().all(FUNCTION).map((resource) => resource.state.name).sort());
  });

  test("the processing queue alarms on the age of its oldest message, from config", () => {
    expect(alarm("processing-queue-age").inputs).toMatchObject({
      namespace: "AWS/SQS",
      metricName: "ApproximateAgeOfOldestMessage",
      dimensions: { QueueName: run().one(QUEUE, "datalake-processing").state.name },
      threshold: settings().observability.processingQueueMaxAgeSeconds,
      comparisonOperator: "GreaterThanThreshold",
    });
    expect(alarm("processing-queue-age").inputs.threshold).toBe(stack === "prod" ? 600 : 1800);
  });

  test.each([
    ["dlq-not-empty", "datalake-processing-dlq"],
    ["ingest-failures-not-empty", "datalake-ingest-failures"],
    ["curated-failures-not-empty", "datalake-curated-failures"],
  ])("%s fires on any visible message in %s", (key, queue) => {
    expect(alarm(key).inputs).toMatchObject({
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: run().one(QUEUE, queue).state.name },
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
    });
  });

  test("the rejected-row ratio reads the processor's row metrics of every dataset, in the namespace the functions publish to", () => {
    const inputs = alarm("rejected-rows").inputs;
    const metrics = (inputs.metricQueries as { metric?: { namespace: string; metricName: string; dimensions: Record<string, string> } }[]).flatMap(
      (query) => (query.metric ? [query.metric] : []),
    );
    for (const dataset of DATASET_NAMES) {
      for (const metricName of ["RowsRead", "RowsRejected"]) {
        expect(metrics).toContainEqual(expect.objectContaining({ namespace, metricName, dimensions: { service: "processor", dataset } }));
      }
    }
    expect(inputs.threshold).toBe(settings().observability.rejectedRowsMaxPercent);
    expect(inputs.threshold).toBe(stack === "prod" ? 2 : 5);
    expect(fn("processor").inputs.environment.variables.POWERTOOLS_METRICS_NAMESPACE).toBe(namespace);
    expect(fn("ingest").inputs.environment.variables.POWERTOOLS_METRICS_NAMESPACE).toBe(namespace);
  });

  test("the curated job alarms when its schedule fails to invoke it, naming the declared rule", () => {
    const rule = run().one("aws:cloudwatch/eventRule:EventRule", "datalake-curated-schedule");
    expect(alarm("curated-schedule-failed").inputs).toMatchObject({
      namespace: "AWS/Events",
      metricName: "FailedInvocations",
      dimensions: { RuleName: rule.state.name },
      comparisonOperator: "GreaterThanThreshold",
      threshold: 0,
      treatMissingData: "notBreaching",
    });
  });

  test("the heavy path alarms on a failed Glue run in its failure queue, and on failed deliveries of its failure rule", () => {
    const failures = run().one("aws:sqs/queue:Queue", "datalake-glue-failures");
    const rule = run().one("aws:cloudwatch/eventRule:EventRule", "datalake-glue-failures");
    expect(alarm("glue-failures-not-empty").inputs).toMatchObject({
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: failures.state.name },
      threshold: 0,
      alarmActions: [run().one("aws:sns/topic:Topic", "datalake-alerts").state.arn],
    });
    expect(alarm("glue-failure-delivery").inputs).toMatchObject({ namespace: "AWS/Events", metricName: "FailedInvocations", dimensions: { RuleName: rule.state.name } });
  });

  test("Athena's daily scan budget comes from config", () => {
    expect(alarm("athena-scan-budget").inputs).toMatchObject({
      namespace: "AWS/Athena",
      metricName: "ProcessedBytes",
      dimensions: { WorkGroup: run().one("aws:athena/workgroup:Workgroup").state.name },
      period: 86_400,
      threshold: settings().observability.athenaDailyScanBudgetBytes,
    });
    expect(alarm("athena-scan-budget").inputs.threshold).toBe((stack === "prod" ? 500 : 20) * 1024 ** 3);
  });

  test("the composite alarm's rule covers the critical alarms, each of which exists", () => {
    const composite = run().one(COMPOSITE, "datalake-pipeline-unhealthy");
    const critical = [
      "ingest-errors",
      "processor-errors",
      "processing-queue-age",
      "dlq-not-empty",
      "ingest-failures-not-empty",
      "curated-failures-not-empty",
      "glue-failures-not-empty",
      "glue-failure-delivery",
      "curated-schedule-failed",
    ].map((key) => `datalake-${stack}-${key}`);

    expect(composite.inputs.alarmName).toBe(`datalake-${stack}-pipeline-unhealthy`);
    expect(composite.inputs.alarmRule).toBe(compositeRule(critical));
    const names = run().all(ALARM).map((resource) => resource.inputs.name);
    for (const name of critical) expect(names).toContain(name);
    expect(run().outputs.pipelineUnhealthyAlarmArn).toBe(composite.state.arn);
  });

  test("each function's JSON log group has an error-line metric filter publishing to the stack namespace", () => {
    const filters = run().all(FILTER);
    expect(filters).toHaveLength(Object.keys(FUNCTIONS).length);
    for (const key of Object.keys(FUNCTIONS) as (keyof typeof FUNCTIONS)[]) {
      const logGroup = fn(key).inputs.loggingConfig.logGroup;
      const filter = filters.find((candidate) => candidate.inputs.logGroupName === logGroup);
      expect(filter, key).toBeDefined();
      expect(filter!.inputs).toMatchObject({
        pattern: '{ $.level = "ERROR" }',
        metricTransformation: { namespace, name: errorLogLinesMetric(key), value: "1" },
      });
    }
  });

  test("the dashboard body is JSON referencing every function, queue and the workgroup", () => {
    const dashboard = run().one("aws:cloudwatch/dashboard:Dashboard");
    const body = JSON.parse(dashboard.inputs.dashboardBody) as { widgets: { properties: { metrics: unknown[][] } }[] };
    const referenced = new Set(body.widgets.flatMap((widget) => widget.properties.metrics.flat().filter((part): part is string => typeof part === "string")));

    expect(dashboard.inputs.dashboardName).toBe(`datalake-${stack}`);
    for (const resource of run().all(FUNCTION)) expect(referenced, resource.name).toContain(resource.state.name);
    for (const resource of run().all(QUEUE)) expect(referenced, resource.name).toContain(resource.state.name);
    expect(referenced).toContain(run().one("aws:athena/workgroup:Workgroup").state.name);
    for (const metricName of ["RowsWritten", "RowsRejected"]) expect(referenced).toContain(metricName);
    expect(referenced).toContain(namespace);
  });
});

describe("freshness: a dataset that stops arriving", () => {
  const watched = DATASETS.filter((dataset) => dataset.maxSilenceHours !== undefined);

  test.each(["dev", "prod"])("%s: one alarm per dataset with maxSilenceHours, on its rows read, hour by hour, none for the others", (stack) => {
    // Prepare
    const run = runs[stack]!;
    const alerts = run.one("aws:sns/topic:Topic", "datalake-alerts").state.arn as string;

    // Assess
    expect(watched.length).toBeGreaterThan(0);
    for (const dataset of watched) {
      expect(run.one(ALARM, `datalake-${dataset.name}-freshness`).inputs).toMatchObject({
        name: `datalake-${stack}-${dataset.name}-freshness`,
        namespace: `datalake/${stack}`,
        metricName: "RowsRead",
        dimensions: { service: "processor", dataset: dataset.name },
        statistic: "Sum",
        period: 3600,
        evaluationPeriods: dataset.maxSilenceHours,
        comparisonOperator: "LessThanThreshold",
        threshold: 1,
        // Missing data is missing: a new stack stays in INSUFFICIENT_DATA and pages nobody;
        // the transition from OK to INSUFFICIENT_DATA is the notification.
        treatMissingData: "missing",
        insufficientDataActions: [alerts],
      });
    }
    const freshnessAlarms = run.all(ALARM).filter((resource) => resource.name.endsWith("-freshness"));
    expect(freshnessAlarms.map((resource) => resource.name).sort()).toEqual(watched.map((dataset) => `datalake-${dataset.name}-freshness`).sort());
  });

  test("freshness alarms are not members of pipeline-unhealthy, which a new stack's INSUFFICIENT_DATA would trip", () => {
    const rule = String(runs.prod!.one(COMPOSITE).inputs.alarmRule);
    expect(rule).not.toContain("freshness");
  });

  test("only the freshness alarms notify on INSUFFICIENT_DATA", () => {
    const notifying = runs.dev!.all(ALARM).filter((resource) => resource.inputs.insufficientDataActions !== undefined);
    expect(notifying.every((resource) => resource.name.endsWith("-freshness"))).toBe(true);
  });
});

describe("dev and prod alarms differ where their config says", () => {
  test("dev waits two periods, prod one", () => {
    expect(runs.dev!.one(ALARM, "datalake-processor-errors").inputs.evaluationPeriods).toBe(2);
    expect(runs.prod!.one(ALARM, "datalake-processor-errors").inputs.evaluationPeriods).toBe(1);
  });

  test("the processor's duration bound follows each stack's timeout", () => {
    for (const run of [runs.dev!, runs.prod!]) {
      expect(run.one(ALARM, "datalake-processor-duration").inputs.threshold).toBe(run.one(FUNCTION, "datalake-processor").inputs.timeout * 800);
    }
  });
});
