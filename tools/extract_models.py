#!/usr/bin/env python3
"""Extracts the structural facts of AWS's published service models for gureum.

Reads botocore's `service-2.json(.gz)` for each service on the roadmap, drops documentation text
and examples, and writes compact JSON to crates/gureum-model/models/<service>.json. The output is
committed, so building gureum needs neither Python nor the network; rerun this tool (after
`pip install botocore==X`) to refresh the models.

Usage: python3 tools/extract_models.py [--out DIR]
"""
import argparse
import gzip
import json
import os
import sys

SERVICES = (
    "sts iam s3 s3control dynamodb dynamodbstreams kms lambda ec2 autoscaling elbv2 elb "
    "cloudwatch logs cloudfront route53 rds efs glacier storagegateway lightsail ce pricing"
).split()

# Keys that carry prose or client-side hints only, never wire structure.
DROP = {
    "documentation", "documentationUrl", "deprecatedMessage", "examples", "deprecatedSince",
    "box", "wrapper", "sensitive", "authtype", "auth", "endpointdiscovery", "endpointoperation",
    "httpChecksum", "requestcompression", "staticContextParams", "contextParam",
    "operationContextParams", "clientContextParams", "unsigned", "alias",
}


def strip(node):
    if isinstance(node, dict):
        return {k: strip(v) for k, v in node.items() if k not in DROP}
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def load_latest(data_dir, service):
    versions = sorted(os.listdir(os.path.join(data_dir, service)))
    base = os.path.join(data_dir, service, versions[-1])
    for name, opener in (("service-2.json.gz", gzip.open), ("service-2.json", open)):
        path = os.path.join(base, name)
        if os.path.exists(path):
            with opener(path, "rt", encoding="utf-8") as f:
                return json.load(f)
    raise SystemExit(f"no service-2.json for {service} under {base}")


def main():
    import botocore

    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=os.path.join(here, "..", "crates", "gureum-model", "models"))
    args = parser.parse_args()
    data_dir = os.path.join(os.path.dirname(botocore.__file__), "data")
    os.makedirs(args.out, exist_ok=True)
    index = {}
    for service in SERVICES:
        model = strip(load_latest(data_dir, service))
        index[service] = model["metadata"]
        model.pop("version", None)
        text = json.dumps(model, separators=(",", ":"))
        with open(os.path.join(args.out, f"{service}.json"), "w", encoding="utf-8") as f:
            f.write(text)
            f.write("\n")
        print(f"{service}: {len(model['operations'])} operations, {len(text)} bytes", file=sys.stderr)
    # The index: each service's metadata alone, small enough to read at startup for routing.
    with open(os.path.join(args.out, "index.json"), "w", encoding="utf-8") as f:
        f.write(json.dumps(index, separators=(",", ":"), indent=None))
        f.write("\n")
    with open(os.path.join(args.out, "SOURCE"), "w", encoding="utf-8") as f:
        f.write(f"botocore {botocore.__version__}\n")


if __name__ == "__main__":
    main()
