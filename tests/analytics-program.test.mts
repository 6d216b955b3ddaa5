import { beforeAll, describe, expect, test } from "vitest";
import { runProgram, type ProgramRun } from "./harness/program.js";
import type { RecordedResource } from "./harness/mocks.js";
import { DATASETS } from "../handlers/datasets.js";
import { CURATED_AGGREGATES } from "../handlers/curated.js";
import { datasetPrefix, dailyPartition } from "../storage/zones.js";
import { RUNTIME_PROVIDED_PACKAGES } from "../compute/index.js";
import { functionPackage } from "./harness/lambda.js";
import type { PolicyDocument, PolicyStatement } from "../iam/documents.js";

const TABLE = "aws:glue/catalogTable:CatalogTable";
const FUNCTION = "aws:lambda/function:Function";
const MB = 1024 * 1024;

const runs: Record<string, ProgramRun> = {};

beforeAll(async () => {
  runs.dev = await runProgram("dev");
  runs.prod = await runProgram("prod");
});

/** Fills a `storage.location.template` for one day (and dataset, for the rejected table). */
function renderTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\$\{(\w+)\}/g, (_, key: string) => {
    if (!(key in values)) throw new Error(`Template has an unknown key ${key}`);
    return values[key]!;
  });
}

const EXPECTED_CUTOFF_MB: Record<string, number> = { dev: 1024, prod: 10240 };
const EXPECTED_RETENTION: Record<string, number> = { dev: 14, prod: 365 };

describe.each(["dev", "prod"])("stack %s: analytics", (stack) => {
  const run = () => runs[stack]!;
  const table = (name: string): RecordedResource => run().one(TABLE, `datalake-table-${name}`);
  const lakeBucket = () => run().one("aws:s3/bucket:Bucket", "datalake-lake").state.bucket as string;
  const database = () => run().one("aws:glue/catalogDatabase:CatalogDatabase");

  test("catalogs every dataset, the rejected records and every curated aggregate in the stack's database", () => {
    const names = run().all(TABLE).map((resource) => resource.inputs.name);
    expect(names.sort()).toEqual([...DATASETS.map((dataset) => dataset.name), "rejected", ...CURATED_AGGREGATES.map((aggregate) => aggregate.name)].sort());
    for (const resource of run().all(TABLE)) expect(resource.inputs.databaseName).toBe(`datalake_${stack}`);
  });

  test.each(DATASETS.map((dataset) => [dataset.name, dataset] as const))("table %s has exactly the registry's columns and types, in order", (name, dataset) => {
    const columns = table(name).inputs.storageDescriptor.columns as { name: string; type: string; comment: string }[];
    expect(columns.map((column) => [column.name, column.type])).toEqual(dataset.columns.map((column) => [column.name, column.type]));
    expect(columns.map((column) => column.comment)).toEqual(dataset.columns.map((column) => column.description));
  });

  test.each(DATASETS.map((dataset) => [dataset.name, dataset] as const))("table %s is external Parquet over processed/<dataset>/", (name) => {
    const { inputs } = table(name);
    expect(inputs.tableType).toBe("EXTERNAL_TABLE");
    expect(inputs.storageDescriptor).toMatchObject({
      location: `s3://${lakeBucket()}/${datasetPrefix("processed", name)}`,
      inputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
      outputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
      serDeInfo: { serializationLibrary: "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe" },
    });
  });

  test("partitioned datasets project year/month/day at table level, with a template that matches the processor's layout", () => {
    for (const dataset of DATASETS.filter((candidate) => candidate.partitionColumn)) {
      const { inputs } = table(dataset.name);
      expect(inputs.partitionKeys.map((key: { name: string; type: string }) => [key.name, key.type])).toEqual([["year", "int"], ["month", "int"], ["day", "int"]]);
      expect(inputs.parameters).toMatchObject({
        "projection.enabled": "true",
        "projection.year.type": "integer",
        "projection.year.range": "2024,2035",
        "projection.month.type": "integer",
        "projection.month.range": "1,12",
        "projection.month.digits": "2",
        "projection.day.type": "integer",
        "projection.day.range": "1,31",
        "projection.day.digits": "2",
      });
      expect(Object.keys(inputs.storageDescriptor.parameters ?? {}).filter((key) => key.startsWith("projection.") || key.startsWith("storage."))).toEqual([]);
      const day = new Date(Date.UTC(2026, 0, 5));
      expect(renderTemplate(inputs.parameters["storage.location.template"], { year: "2026", month: "01", day: "05" })).toBe(
        `s3://${lakeBucket()}/${datasetPrefix("processed", dataset.name)}${dailyPartition(day)}`,
      );
    }
  });

  test("unpartitioned datasets have no partition keys and no projection", () => {
    for (const dataset of DATASETS.filter((candidate) => !candidate.partitionColumn)) {
      const { inputs } = table(dataset.name);
      expect(inputs.partitionKeys ?? []).toEqual([]);
      expect(Object.keys(inputs.parameters).filter((key) => key.startsWith("projection.") || key === "storage.location.template")).toEqual([]);
    }
  });

  test("the rejected table reads JSON Lines under rejected/<dataset>/year=/month=/day=/, projected over the registry's datasets", () => {
    const { inputs } = table("rejected");
    expect(inputs.storageDescriptor.serDeInfo.serializationLibrary).toBe("org.openx.data.jsonserde.JsonSerDe");
    expect(inputs.storageDescriptor.location).toBe(`s3://${lakeBucket()}/rejected/`);
    expect(inputs.storageDescriptor.columns.map((column: { name: string }) => column.name)).toEqual(["source_key", "line_number", "reason", "record"]);
    expect(inputs.partitionKeys.map((key: { name: string }) => key.name)).toEqual(["dataset", "year", "month", "day"]);
    expect(inputs.parameters["projection.dataset.type"]).toBe("enum");
    expect(inputs.parameters["projection.dataset.values"].split(",")).toEqual(DATASETS.map((dataset) => dataset.name));
    expect(renderTemplate(inputs.parameters["storage.location.template"], { dataset: "events", year: "2026", month: "11", day: "01" })).toBe(
      `s3://${lakeBucket()}/rejected/events/year=2026/month=11/day=01/`,
    );
  });

  test("curated tables have the aggregates' columns and project the curated day prefixes", () => {
    for (const aggregate of CURATED_AGGREGATES) {
      const { inputs } = table(aggregate.name);
      expect(inputs.storageDescriptor.columns.map((column: { name: string; type: string }) => [column.name, column.type])).toEqual(aggregate.columns.map((column) => [column.name, column.type]));
      expect(renderTemplate(inputs.parameters["storage.location.template"], { year: "2026", month: "11", day: "01" })).toBe(
        `s3://${lakeBucket()}/curated/${aggregate.name}/year=2026/month=11/day=01/`,
      );
    }
  });

  test("the workgroup enforces engine 3, KMS-encrypted results in the results bucket, metrics and the configured scan cutoff", () => {
    const workgroup = run().one("aws:athena/workgroup:Workgroup");
    const results = run().one("aws:s3/bucket:Bucket", "datalake-athena-results");
    const key = run().one("aws:kms/key:Key");
    expect(workgroup.inputs.name).toBe(`datalake-${stack}`);
    expect(workgroup.inputs.configuration).toEqual({
      enforceWorkgroupConfiguration: true,
      publishCloudwatchMetricsEnabled: true,
      bytesScannedCutoffPerQuery: EXPECTED_CUTOFF_MB[stack]! * MB,
      engineVersion: { selectedEngineVersion: "Athena engine version 3" },
      resultConfiguration: {
        outputLocation: `s3://${results.state.bucket}/results/`,
        encryptionConfiguration: { encryptionOption: "SSE_KMS", kmsKeyArn: key.state.arn },
      },
    });
  });

  test("saves the three named queries in the workgroup, against the stack's database", () => {
    const queries = run().all("aws:athena/namedQuery:NamedQuery");
    expect(queries.map((query) => query.inputs.name)).toEqual(["events per type for one day", "events per user joined with users", "rejected rows per day and reason"]);
    for (const query of queries) {
      expect(query.inputs).toMatchObject({ database: database().state.name, workgroup: `datalake-${stack}` });
      expect(query.inputs.query).toContain(`FROM datalake_${stack}.`);
    }
  });

  describe("the curated zone job", () => {
    const job = () => run().one(FUNCTION, "datalake-curated");
    const policy = (): PolicyDocument => JSON.parse(run().one("aws:iam/rolePolicy:RolePolicy", "datalake-curated").inputs.policy);
    const statement = (sid: string): PolicyStatement => {
      const found = policy().Statement.find((candidate) => candidate.Sid === sid);
      if (!found) throw new Error(`No statement ${sid}`);
      return found;
    };

    test("runs pinned, on arm64, in the private subnets with the Lambda security group, logging JSON to its own encrypted group", () => {
      const { inputs } = job();
      const logs = run().one("aws:cloudwatch/logGroup:LogGroup", "datalake-curated");
      const key = run().one("aws:kms/key:Key");
      expect(inputs.runtime).toBe("nodejs24.x");
      expect(inputs.architectures).toEqual(["arm64"]);
      expect(inputs.timeout).toBe(600);
      expect(inputs.vpcConfig.subnetIds).toEqual(run().one("awsx:ec2:Vpc").state.privateSubnetIds);
      expect(inputs.vpcConfig.securityGroupIds).toEqual([run().one("aws:ec2/securityGroup:SecurityGroup", "datalake-lambda").id]);
      expect(inputs.loggingConfig).toEqual({ logFormat: "JSON", logGroup: `/datalake/${stack}/curated`, applicationLogLevel: "INFO", systemLogLevel: "WARN" });
      expect(logs.inputs).toMatchObject({ name: `/datalake/${stack}/curated`, retentionInDays: EXPECTED_RETENTION[stack], kmsKeyId: key.state.arn });
      expect(inputs.environment.variables).toEqual({
        LAKE_BUCKET: run().one("aws:s3/bucket:Bucket", "datalake-lake").state.bucket,
        GLUE_DATABASE: `datalake_${stack}`,
        ATHENA_WORKGROUP: `datalake-${stack}`,
        POWERTOOLS_SERVICE_NAME: "curated",
      });
    });

    test("never runs concurrently with itself: a run empties its day, then UNLOADs into it", () => {
      expect(job().inputs.reservedConcurrentExecutions).toBe(1);
    });

    test("runs on the configured schedule, with permission for that rule only", () => {
      const rule = run().one("aws:cloudwatch/eventRule:EventRule", "datalake-curated-schedule");
      const target = run().one("aws:cloudwatch/eventTarget:EventTarget", "datalake-curated-schedule");
      const permission = run().one("aws:lambda/permission:Permission", "datalake-curated-from-schedule");
      expect(rule.inputs.scheduleExpression).toBe("cron(30 2 * * ? *)");
      expect(target.inputs).toMatchObject({ rule: rule.state.name, arn: job().state.arn });
      expect(permission.inputs).toMatchObject({ principal: "events.amazonaws.com", sourceArn: rule.state.arn, function: job().state.name });
    });

    test("sends failed runs, after Lambda's retries, to its KMS-encrypted failure queue", () => {
      const config = run().one("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "datalake-curated");
      const queue = run().one("aws:sqs/queue:Queue", "datalake-curated-failures");
      expect(config.inputs).toMatchObject({ functionName: job().state.name, maximumRetryAttempts: 2, destinationConfig: { onFailure: { destination: queue.state.arn } } });
      expect(queue.inputs.kmsMasterKeyId).toBe(run().one("aws:kms/key:Key").state.arn);
      expect(statement("SendFailedInvocations")).toMatchObject({ Action: ["sqs:SendMessage"], Resource: queue.state.arn });
    });

    test("has its own role: Athena on this workgroup, Glue on this database, S3 on its zones and the results, the key", () => {
      const role = run().one("aws:iam/role:Role", "datalake-curated");
      const lake = run().one("aws:s3/bucket:Bucket", "datalake-lake").state.arn as string;
      const results = run().one("aws:s3/bucket:Bucket", "datalake-athena-results").state.arn as string;
      const region = run().config["aws:region"];
      expect(job().inputs.role).toBe(role.state.arn);
      expect(statement("RunQueriesInTheLakeWorkgroup").Resource).toBe(`arn:aws:athena:${region}:123456789012:workgroup/datalake-${stack}`);
      expect(statement("ReadTheLakeCatalog").Resource).toEqual([
        `arn:aws:glue:${region}:123456789012:catalog`,
        `arn:aws:glue:${region}:123456789012:database/datalake_${stack}`,
        `arn:aws:glue:${region}:123456789012:table/datalake_${stack}/*`,
      ]);
      expect(statement("ReadProcessedObjects")).toMatchObject({ Action: ["s3:GetObject"], Resource: `${lake}/processed/*` });
      expect(statement("ReplaceCuratedObjects")).toMatchObject({ Resource: `${lake}/curated/*` });
      expect(statement("ReplaceCuratedObjects").Action).toEqual(expect.arrayContaining(["s3:PutObject", "s3:DeleteObject"]));
      expect(statement("ListProcessedAndCuratedZones").Condition).toEqual({ StringLike: { "s3:prefix": ["processed/*", "curated/*"] } });
      expect(statement("ReadAndWriteQueryResults").Resource).toBe(`${results}/results/*`);
      expect(statement("UseLakeKey").Resource).toBe(run().one("aws:kms/key:Key").state.arn);
      // Nothing on raw/ or rejected/, no wildcard resources, no wildcard actions
      const resources = policy().Statement.flatMap((candidate) => [candidate.Resource ?? []].flat());
      expect(resources.filter((resource) => resource === "*" || resource.includes("/raw/") || resource.includes("/rejected/"))).toEqual([]);
      expect(policy().Statement.flatMap((candidate) => [candidate.Action].flat()).filter((action) => action.endsWith(":*") || action === "*")).toEqual([]);
      const attached = run().all("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "datalake-curated-vpc-access");
      expect(attached.map((attachment) => attachment.inputs.policyArn)).toEqual(["arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"]);
    });

    test("uploads no AWS SDK client the runtime already ships", async () => {
      const upload = await functionPackage(job());
      for (const name of RUNTIME_PROVIDED_PACKAGES) expect(upload.packedPaths.some((path) => path.includes(`node_modules/${name}`))).toBe(false);
      expect(upload.indexJs).toContain('require("@aws-sdk/client-athena")');
    });
  });
});

describe("analytics config overrides", () => {
  test("the projection's years and the schedule come from config", async () => {
    const run = await runProgram("dev", {
      "datalake:athenaProjectionFirstYear": 2019,
      "datalake:athenaProjectionLastYear": 2040,
      "datalake:curatedSchedule": "rate(6 hours)",
    });
    expect(run.one(TABLE, "datalake-table-events").inputs.parameters["projection.year.range"]).toBe("2019,2040");
    expect(run.one(TABLE, "datalake-table-rejected").inputs.parameters["projection.year.range"]).toBe("2019,2040");
    expect(run.one("aws:cloudwatch/eventRule:EventRule", "datalake-curated-schedule").inputs.scheduleExpression).toBe("rate(6 hours)");
  });

  test("a Unix-style five-field cron stops the program naming the key", async () => {
    await expect(runProgram("dev", { "datalake:curatedSchedule": "30 2 * * *" })).rejects.toThrow(/datalake:curatedSchedule: "30 2 \* \* \*" is not accepted; expected an EventBridge schedule expression/);
  });
});
