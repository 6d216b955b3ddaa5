/**
 * Analytics layer: the Glue database that catalogs the lake and the Athena workgroup that queries it.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import type { AnalyticsSettings } from "../config";

export interface AnalyticsArgs {
  readonly settings: AnalyticsSettings;
  readonly stack: string;
  readonly lakeBucketName: pulumi.Input<string>;
  readonly resultsBucketName: pulumi.Input<string>;
  readonly kmsKeyArn: pulumi.Input<string>;
}

/** What observability and users take from analytics. */
export interface AnalyticsOutputs {
  readonly glueDatabaseName: pulumi.Output<string>;
  readonly workgroupName: pulumi.Output<string>;
}

/** Glue database names allow lowercase letters, digits and `_`: the stack name scopes it per stack. */
export function glueDatabaseName(stack: string): string {
  return `datalake_${stack.toLowerCase().replace(/[^a-z0-9_]/g, "_")}`;
}

export class Analytics extends pulumi.ComponentResource implements AnalyticsOutputs {
  readonly glueDatabaseName: pulumi.Output<string>;
  readonly workgroupName: pulumi.Output<string>;

  constructor(name: string, args: AnalyticsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("datalake:analytics:Analytics", name, {}, opts);
    const { settings } = args;

    const database = new aws.glue.CatalogDatabase(
      `${name}-catalog`,
      {
        name: glueDatabaseName(args.stack),
        description: `Tables over the ${args.stack} data lake`,
        locationUri: pulumi.interpolate`s3://${args.lakeBucketName}/`,
      },
      { parent: this },
    );

    const workgroup = new aws.athena.Workgroup(
      `${name}-workgroup`,
      {
        name: `datalake-${args.stack}`,
        description: `Queries over the ${args.stack} data lake`,
        forceDestroy: true,
        configuration: {
          enforceWorkgroupConfiguration: true,
          publishCloudwatchMetricsEnabled: true,
          bytesScannedCutoffPerQuery: settings.bytesScannedCutoffPerQuery,
          engineVersion: { selectedEngineVersion: "Athena engine version 3" },
          resultConfiguration: {
            outputLocation: pulumi.interpolate`s3://${args.resultsBucketName}/results/`,
            encryptionConfiguration: { encryptionOption: "SSE_KMS", kmsKeyArn: args.kmsKeyArn },
          },
        },
      },
      { parent: this },
    );

    this.glueDatabaseName = database.name;
    this.workgroupName = workgroup.name;
    this.registerOutputs({ glueDatabaseName: this.glueDatabaseName, workgroupName: this.workgroupName });
  }
}
