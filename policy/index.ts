/**
 * The datalake policy pack, as `pulumi preview --policy-pack policy` loads it. Constructing a
 * `PolicyPack` starts its gRPC server (one per process), so this file does nothing else: the
 * policies live in `./pack` where tests use them directly.
 */
import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME, packArgs } from "./pack";

new PolicyPack(PACK_NAME, packArgs);
