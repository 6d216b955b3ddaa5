import { afterEach, describe, expect, test } from "vitest";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseSettings, ConfigError } from "../config/settings.js";
import {
  FUNCTION_KEYS,
  MAX_METRICS_PER_ALARM,
  PIPELINE_UNHEALTHY,
  alarmName,
  alarmSpecs,
  compositeRule,
  pipelineUnhealthyDescription,
  rejectedRowsQueries,
  type PipelineNames,
} from "../observability/alarms.js";
import { dashboardBody, type DashboardNames } from "../observability/dashboard.js";
import { METRICS_NAMESPACE_ENV, PROCESSOR_SERVICE, errorLogLinesMetric, metricsNamespace, ROW_METRICS } from "../observability/metrics.js";
import { RUNBOOK, documentAnchors, headingAnchor, missingRunbookSections, runbookLink } from "../observability/runbook.js";
import { DATASET_NAMES } from "../handlers/datasets.js";
import { PROJECT_ROOT } from "./harness/stack-config.js";

const README = readFileSync(join(PROJECT_ROOT, "README.md"), "utf8");

const names = (stack: string): PipelineNames<string> => ({
  stack,
  functions: {
    ingest: { functionName: `${stack}-ingest-fn`, timeoutSeconds: 30 },
    processor: { functionName: `${stack}-processor-fn`, timeoutSeconds: 300 },
    curated: { functionName: `${stack}-curated-fn`, timeoutSeconds: 600 },
  },
  processingQueueName: `${stack}-processing-q`,
  deadLetterQueueName: `${stack}-dlq-q`,
  ingestFailuresQueueName: `${stack}-ingest-failures-q`,
  curatedFailureQueueName: `${stack}-curated-failures-q`,
  curatedScheduleRuleName: `${stack}-curated-schedule`,
  workgroupName: `${stack}-wg`,
  glueFailureQueueName: `${stack}-glue-failures-q`,
  glueFailuresRuleName: `${stack}-glue-failures-rule`,
  metricsNamespace: metricsNamespace(stack),
  datasets: DATASET_NAMES,
  freshness: [{ dataset: "events", maxSilenceHours: 24 }],
});

const settingsWith = (raw: Record<string, string> = {}) => parseSettings(raw, "dev").observability;

describe("metrics namespace", () => {
  test("is scoped per stack so that stacks in one account never mix", () => {
    expect(metricsNamespace("dev")).toBe("datalake/dev");
    expect(metricsNamespace("dev")).not.toBe(metricsNamespace("prod"));
  });
});

describe("runbook links", () => {
  test("anchors follow GitHub's heading slugs", () => {
    expect(headingAnchor("Dead-letter queue not empty")).toBe("dead-letter-queue-not-empty");
    expect(headingAnchor("Error lines in a function's logs")).toBe("error-lines-in-a-functions-logs");
    expect(headingAnchor("CI/CD with the Automation API")).toBe("cicd-with-the-automation-api");
    expect(runbookLink(RUNBOOK.athenaBudget, "https://github.com/acme/lake/blob/HEAD/README.md")).toBe(
      "https://github.com/acme/lake/blob/HEAD/README.md#athena-daily-scan-budget-exceeded",
    );
  });

  test("headings inside code fences are not sections", () => {
    const anchors = documentAnchors("## Real\n```sh\n# not a heading\n```\n### Also real\n");
    expect([...anchors]).toEqual(["real", "also-real"]);
  });

  test("every alarm description and the composite's link to a README section that exists", () => {
    const descriptions = [...alarmSpecs(settingsWith(), names("dev")).map((spec) => spec.description), pipelineUnhealthyDescription("dev", settingsWith().runbookUrl)];

    expect(missingRunbookSections(descriptions, README)).toEqual([]);
  });

  test.each(Object.values(RUNBOOK))("removing the section %s from README is caught", (section) => {
    const descriptions = [...alarmSpecs(settingsWith(), names("dev")).map((spec) => spec.description), pipelineUnhealthyDescription("dev", settingsWith().runbookUrl)];
    const headingLine = new RegExp(`^#+ ${section.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s*$`, "m");
    expect(README).toMatch(headingLine);

    const withoutSection = README.replace(headingLine, "");

    expect(missingRunbookSections(descriptions, withoutSection)).toEqual([headingAnchor(section)]);
  });

  test("every runbook section is used by an alarm", () => {
    const specs = alarmSpecs(settingsWith(), names("dev"));
    const used = new Set([...specs.map((spec) => spec.runbook), RUNBOOK.pipelineUnhealthy]);
    expect([...used].sort()).toEqual(Object.values(RUNBOOK).sort());
  });
});

describe("alarm specs", () => {
  const specs = alarmSpecs(settingsWith(), names("dev"));
  const byKey = (key: string) => {
    const found = specs.find((spec) => spec.key === key);
    if (!found) throw new Error(`no alarm ${key}`);
    return found;
  };

  test("names are unique and stack-scoped", () => {
    expect(new Set(specs.map((spec) => spec.alarmName)).size).toBe(specs.length);
    for (const spec of specs) expect(spec.alarmName).toBe(`datalake-dev-${spec.key}`);
  });

  test.each(FUNCTION_KEYS)("the %s function has errors, throttles, p99 duration and error-log alarms", (key) => {
    const functionName = names("dev").functions[key].functionName;
    for (const [suffix, metricName, stat] of [
      ["errors", "Errors", "Sum"],
      ["throttles", "Throttles", "Sum"],
      ["duration", "Duration", "p99"],
    ] as const) {
      const spec = byKey(`${key}-${suffix}`);
      expect(spec.metric).toMatchObject({ namespace: "AWS/Lambda", metricName, stat, dimensions: { FunctionName: functionName } });
      expect(spec.treatMissingData).toBe("notBreaching");
    }
    expect(byKey(`${key}-error-logs`).metric).toMatchObject({ namespace: "datalake/dev", metricName: errorLogLinesMetric(key) });
  });

  test("the duration bound is the configured share of each function's timeout, in ms", () => {
    const settings = settingsWith({ durationAlarmPercentOfTimeout: "50" });
    const halfway = alarmSpecs(settings, names("dev"));
    expect(halfway.find((spec) => spec.key === "processor-duration")!.threshold).toBe(150_000);
    expect(byKey("ingest-duration").threshold).toBe(24_000);
    expect(byKey("curated-duration").threshold).toBe(480_000);
  });

  test("thresholds, periods and evaluation periods come from settings", () => {
    const settings = settingsWith({
      alarmPeriodSeconds: "120",
      alarmEvaluationPeriods: "3",
      functionErrorsThreshold: "4",
      functionThrottlesThreshold: "6",
      processingQueueMaxAgeSeconds: "700",
      rejectedRowsMaxPercent: "9",
      athenaDailyScanBudgetGb: "7",
      errorLogLinesThreshold: "11",
    });
    const custom = alarmSpecs(settings, names("dev"));
    const get = (key: string) => custom.find((spec) => spec.key === key)!;

    expect(get("processor-errors")).toMatchObject({ threshold: 4, evaluationPeriods: 3, metric: { period: 120 } });
    expect(get("ingest-throttles").threshold).toBe(6);
    expect(get("curated-error-logs").threshold).toBe(11);
    expect(get("processing-queue-age")).toMatchObject({ threshold: 700, evaluationPeriods: 3, metric: { period: 120 } });
    expect(get("rejected-rows").threshold).toBe(9);
    expect(get("athena-scan-budget").threshold).toBe(7 * 1024 ** 3);
  });

  test("failure queues alarm on any visible message, each on its own queue", () => {
    for (const [key, queueName] of [
      ["dlq-not-empty", "dev-dlq-q"],
      ["ingest-failures-not-empty", "dev-ingest-failures-q"],
      ["curated-failures-not-empty", "dev-curated-failures-q"],
    ] as const) {
      expect(byKey(key)).toMatchObject({
        threshold: 0,
        comparisonOperator: "GreaterThanThreshold",
        metric: { namespace: "AWS/SQS", metricName: "ApproximateNumberOfMessagesVisible", dimensions: { QueueName: queueName } },
        critical: true,
      });
    }
    expect(byKey("processing-queue-age").metric).toMatchObject({ metricName: "ApproximateAgeOfOldestMessage", dimensions: { QueueName: "dev-processing-q" } });
  });

  test("the curated job's schedule alarms on any invocation EventBridge failed to make", () => {
    expect(byKey("curated-schedule-failed")).toMatchObject({
      metric: { namespace: "AWS/Events", metricName: "FailedInvocations", dimensions: { RuleName: "dev-curated-schedule" }, stat: "Sum" },
      comparisonOperator: "GreaterThanThreshold",
      threshold: 0,
      treatMissingData: "notBreaching",
      critical: true,
    });
  });

  test("a fresh stack pages no one: every critical alarm is OK while its metrics have no data", () => {
    // Before any object lands or any job runs, AWS publishes none of these metrics; a critical alarm
    // that treats missing data as breaching would put the composite alarm in ALARM after every deploy.
    const critical = specs.filter((spec) => spec.critical);
    expect(critical.length).toBeGreaterThan(0);
    expect(critical.filter((spec) => spec.treatMissingData !== "notBreaching").map((spec) => spec.key)).toEqual([]);
  });

  test("Athena's budget sums the workgroup's processed bytes over a day", () => {
    expect(byKey("athena-scan-budget")).toMatchObject({
      metric: { namespace: "AWS/Athena", metricName: "ProcessedBytes", dimensions: { WorkGroup: "dev-wg" }, stat: "Sum", period: 86_400 },
      evaluationPeriods: 1,
    });
  });

  test("every alarm makes a deliberate missing-data choice, and none pages a fresh stack by treating silence as breaching", () => {
    for (const spec of specs) expect(["notBreaching", "missing"], spec.key).toContain(spec.treatMissingData);
  });
});

describe("rejected-row ratio", () => {
  test("reads RowsRead and RowsRejected of every dataset, in the stack namespace, and returns one ratio", () => {
    const queries = rejectedRowsQueries("datalake/prod", ["events", "users"], 300);

    const metrics = queries.filter((query) => query.metric).map((query) => [query.metric!.metricName, query.metric!.dimensions.dataset, query.metric!.namespace]);
    expect(metrics).toEqual([
      [ROW_METRICS.read, "events", "datalake/prod"],
      [ROW_METRICS.read, "users", "datalake/prod"],
      [ROW_METRICS.rejected, "events", "datalake/prod"],
      [ROW_METRICS.rejected, "users", "datalake/prod"],
    ]);
    for (const query of queries.filter((entry) => entry.metric)) expect(query.metric!.dimensions.service).toBe("processor");
    expect(queries.find((query) => query.id === "reads")!.expression).toBe("FILL(read_0, 0) + FILL(read_1, 0)");
    expect(queries.filter((query) => query.returnData).map((query) => query.expression)).toEqual(["IF(reads > 0, 100 * rejected / reads, 0)"]);
  });

  test("query ids are valid CloudWatch ids and unique", () => {
    const ids = rejectedRowsQueries("ns", DATASET_NAMES, 60).map((query) => query.id);
    for (const id of ids) expect(id).toMatch(/^[a-z][a-zA-Z0-9_]*$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test("refuses more datasets than one alarm can hold metrics for", () => {
    const tooMany = Array.from({ length: MAX_METRICS_PER_ALARM / 2 + 1 }, (_, index) => `dataset${index}`);
    expect(() => rejectedRowsQueries("ns", tooMany, 60)).toThrow(/at most 10/);
    expect(() => rejectedRowsQueries("ns", tooMany.slice(1), 60)).not.toThrow();
  });
});

describe("the alarm reads what Powertools publishes", () => {
  const saved = { namespace: process.env[METRICS_NAMESPACE_ENV], service: process.env.POWERTOOLS_SERVICE_NAME };
  afterEach(() => {
    for (const [key, value] of [[METRICS_NAMESPACE_ENV, saved.namespace], ["POWERTOOLS_SERVICE_NAME", saved.service]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  test("an EMF record from Metrics configured by the environment compute sets matches the alarm's metrics exactly", () => {
    process.env[METRICS_NAMESPACE_ENV] = metricsNamespace("prod");
    process.env.POWERTOOLS_SERVICE_NAME = PROCESSOR_SERVICE;
    const metrics = new Metrics();
    metrics.addDimension("dataset", "users");
    metrics.addMetric(ROW_METRICS.read, MetricUnit.Count, 10);
    metrics.addMetric(ROW_METRICS.rejected, MetricUnit.Count, 2);

    const record = metrics.serializeMetrics() as unknown as Record<string, unknown> & {
      _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
    };

    const [directive] = record._aws.CloudWatchMetrics;
    const published = directive!.Metrics.map((metric) => ({
      namespace: directive!.Namespace,
      metricName: metric.Name,
      dimensions: Object.fromEntries(directive!.Dimensions[0]!.map((name) => [name, record[name]])),
    }));
    const watched = rejectedRowsQueries("datalake/prod", ["users"], 300).flatMap((query) =>
      query.metric ? [{ namespace: query.metric.namespace, metricName: query.metric.metricName, dimensions: query.metric.dimensions }] : [],
    );
    expect(published).toEqual(watched);
  });
});

describe("composite rule", () => {
  test("is in alarm when any member is", () => {
    expect(compositeRule(["datalake-dev-a", "datalake-dev-b"])).toBe('ALARM("datalake-dev-a") OR ALARM("datalake-dev-b")');
    expect(compositeRule(["only"])).toBe('ALARM("only")');
  });

  test("needs a member", () => {
    expect(() => compositeRule([])).toThrow(/at least one/);
  });

  test("its name is stack-scoped", () => {
    expect(alarmName("prod", PIPELINE_UNHEALTHY)).toBe("datalake-prod-pipeline-unhealthy");
  });
});

describe("dashboard body", () => {
  const dashboardNames: DashboardNames = {
    region: "eu-west-1",
    metricsNamespace: "datalake/dev",
    functionNames: { ingest: "fn-ingest", processor: "fn-processor", curated: "fn-curated" },
    processingQueueName: "q-processing",
    deadLetterQueueName: "q-dlq",
    ingestFailuresQueueName: "q-ingest-failures",
    curatedFailureQueueName: "q-curated-failures",
    workgroupName: "wg-dev",
    datasets: ["events", "users"],
    glueFailureQueueName: "q-glue-failures",
    glueRunsRuleName: "rule-glue-runs",
    glueFailuresRuleName: "rule-glue-failures",
  };
  const body = JSON.parse(JSON.stringify(dashboardBody(dashboardNames))) as { widgets: { x: number; y: number; width: number; height: number; properties: { title: string; metrics: unknown[][] } }[] };
  const metricLines = body.widgets.flatMap((widget) => widget.properties.metrics);
  const linesOf = (namespace: string, metricName: string) => metricLines.filter((line) => line[0] === namespace && line[1] === metricName);

  test("references every function for invocations, errors, duration and throttles", () => {
    for (const metricName of ["Invocations", "Errors", "Duration", "Throttles"]) {
      const functions = linesOf("AWS/Lambda", metricName).map((line) => line[3]);
      for (const fn of Object.values(dashboardNames.functionNames)) expect(functions, metricName).toContain(fn);
    }
  });

  test("shows every queue's depth and the processing queue's age", () => {
    const depth = linesOf("AWS/SQS", "ApproximateNumberOfMessagesVisible").map((line) => line[3]);
    expect(depth).toEqual(["q-processing", "q-dlq", "q-ingest-failures", "q-curated-failures", "q-glue-failures"]);
    expect(linesOf("AWS/SQS", "ApproximateAgeOfOldestMessage").map((line) => line[3])).toEqual(["q-processing"]);
  });

  test("shows rows written and rejected per dataset, curated outcomes and Athena bytes scanned", () => {
    for (const metricName of [ROW_METRICS.written, ROW_METRICS.rejected]) {
      expect(linesOf("datalake/dev", metricName).map((line) => line[5])).toEqual(["events", "users"]);
    }
    const curated = body.widgets.find((widget) => widget.properties.title.startsWith("Curated"))!;
    expect(JSON.stringify(curated.properties.metrics)).toContain("fn-curated");
    expect(curated.properties.metrics.some((line) => typeof line[0] === "object" && "expression" in (line[0] as object))).toBe(true);
    expect(linesOf("AWS/Athena", "ProcessedBytes").map((line) => line[3])).toEqual(["wg-dev"]);
  });

  test("widgets fit the 24-column grid without overlapping", () => {
    for (const widget of body.widgets) expect(widget.x + widget.width).toBeLessThanOrEqual(24);
    for (const [index, a] of body.widgets.entries()) {
      for (const b of body.widgets.slice(index + 1)) {
        const overlap = a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
        expect(overlap, `${a.properties.title} / ${b.properties.title}`).toBe(false);
      }
    }
  });
});

describe("freshness alarm specs", () => {
  const freshnessOf = (freshness: PipelineNames<string>["freshness"]) =>
    alarmSpecs(settingsWith(), { ...names("prod"), freshness }).filter((spec) => spec.runbook === RUNBOOK.datasetSilent);

  test("a dataset with maxSilenceHours gets an hourly RowsRead alarm over that many hours; missing data is missing, INSUFFICIENT_DATA notifies", () => {
    // Act
    const [events, ...others] = freshnessOf([{ dataset: "events", maxSilenceHours: 6 }]);

    // Assess
    expect(others).toEqual([]);
    expect(events).toMatchObject({
      key: "events-freshness",
      alarmName: "datalake-prod-events-freshness",
      critical: false,
      metric: { namespace: "datalake/prod", metricName: ROW_METRICS.read, dimensions: { service: PROCESSOR_SERVICE, dataset: "events" }, stat: "Sum", period: 3600 },
      comparisonOperator: "LessThanThreshold",
      threshold: 1,
      evaluationPeriods: 6,
      treatMissingData: "missing",
      notifyOnInsufficientData: true,
    });
  });

  test("datasets without maxSilenceHours get none", () => {
    expect(freshnessOf([])).toEqual([]);
  });

  test("only freshness alarms notify on INSUFFICIENT_DATA and treat missing data as missing", () => {
    const specs = alarmSpecs(settingsWith(), names("dev"));
    for (const spec of specs.filter((candidate) => candidate.runbook !== RUNBOOK.datasetSilent)) {
      expect(spec.notifyOnInsufficientData, spec.key).toBeUndefined();
      expect(spec.treatMissingData, spec.key).not.toBe("missing");
    }
  });
});

describe("observability settings", () => {
  test("runbook links are full URLs under datalake:repositoryUrl, so they work from an email", () => {
    const settings = settingsWith({ repositoryUrl: "https://github.example.com/data/lake" });
    const [first] = alarmSpecs(settings, names("dev"));
    expect(settings.runbookUrl).toBe("https://github.example.com/data/lake/blob/HEAD/README.md");
    expect(first!.description).toMatch(/What to do: https:\/\/github\.example\.com\/data\/lake\/blob\/HEAD\/README\.md#[\w-]+$/);
  });

  test.each(["http://github.com/acme/lake", "github.com/acme/lake", "https://github.com/acme/lake/", "https://github.com/acme/lake?x=1", "https://user:pw@github.com/acme/lake"])(
    "repositoryUrl %s is refused, naming the key",
    (value) => {
      expect(() => parseSettings({ repositoryUrl: value }, "dev")).toThrow(/datalake:repositoryUrl: .* is not accepted; expected an https:\/\/ address/);
    },
  );

  test("defaults: five-minute periods, one evaluation, 80 % of timeout", () => {
    expect(settingsWith()).toMatchObject({ alarmPeriodSeconds: 300, alarmEvaluationPeriods: 1, durationFractionOfTimeout: 0.8, athenaDailyScanBudgetBytes: 100 * 1024 ** 3 });
  });

  test("a period that is not whole minutes names the key", () => {
    expect(() => parseSettings({ alarmPeriodSeconds: "90" }, "dev")).toThrow(ConfigError);
    expect(() => parseSettings({ alarmPeriodSeconds: "90" }, "dev")).toThrow(/datalake:alarmPeriodSeconds: 90 is not accepted.*multiple of 60/);
  });

  test("more than a day of evaluation names the evaluation periods", () => {
    expect(() => parseSettings({ alarmPeriodSeconds: "7200", alarmEvaluationPeriods: "13" }, "dev")).toThrow(
      /datalake:alarmEvaluationPeriods: 13 is not accepted when datalake:alarmPeriodSeconds is 7200.*at most 12/,
    );
    expect(() => parseSettings({ alarmPeriodSeconds: "7200", alarmEvaluationPeriods: "12" }, "dev")).not.toThrow();
  });

  test("an out-of-range percentage names the key and the range", () => {
    expect(() => parseSettings({ durationAlarmPercentOfTimeout: "120" }, "dev")).toThrow(/datalake:durationAlarmPercentOfTimeout: "120" is not accepted; expected an integer from 10 to 100/);
  });
});
