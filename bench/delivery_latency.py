#!/usr/bin/env python3
"""Delivery latency of the organization trail: from an API call acknowledged to
a member account, to a log file holding its record readable in the audit bucket.

    python3 bench/delivery_latency.py [--interval 1s] [--calls 300] [--rate 20]

Starts the real orgtraild (ORGTRAILD, default build/bin/orgtraild) with
`--delivery-interval <interval>`, sets up the organization, the Audit account's
key and bucket and an organization trail exactly as tests/e2e/test_org_trail.py
does, then, as Dev (assumed role), makes --calls KMS ListKeys calls at --rate per
second with boto3, noting each call's request id and the time its answer
arrived. A reader thread, as Audit, lists Dev's log folder every 50 ms,
downloads every new file (GetObject decrypts it: SSE-KMS) and notes when each
request id first became readable. Prints p50/p90/p99/max of the difference and
exits non-zero if any acknowledged call never arrives.

The reader's polling adds up to ~50 ms plus a list and a download to every
figure: the numbers are an upper bound of the server's delivery latency.
"""
import argparse
import gzip
import json
import os
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
os.environ.setdefault("ORGTRAILD", os.path.join(HERE, "..", "build", "bin", "orgtraild"))

from harness import Server  # noqa: E402
from test_org_trail import audit_infrastructure  # noqa: E402
from test_walkthrough import create_account  # noqa: E402


def percentile(values, p):
    s = sorted(values)
    if not s:
        return float("nan")
    k = min(len(s) - 1, max(0, int(round(p / 100.0 * (len(s) - 1)))))
    return s[k]


def setup(srv):
    mgmt = srv.aws("sts", "get-caller-identity")["Account"]
    org_id = srv.aws("organizations", "create-organization", "--feature-set", "ALL")["Organization"]["Id"]
    ids = {n: create_account(srv, n) for n in ("Audit", "Dev")}
    srv.add_role_profile("audit", ids["Audit"])
    srv.add_role_profile("dev", ids["Dev"])
    key_arn, bucket, _ = audit_infrastructure(srv, mgmt, org_id, ids["Audit"])
    srv.aws("organizations", "enable-aws-service-access", "--service-principal", "cloudtrail.amazonaws.com")
    srv.aws("cloudtrail", "create-trail", "--name", "org-trail", "--s3-bucket-name", bucket,
            "--is-organization-trail", "--is-multi-region-trail", "--kms-key-id", key_arn)
    srv.aws("cloudtrail", "start-logging", "--name", "org-trail")
    return org_id, ids, bucket


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--interval", default="1s", help="orgtraild --delivery-interval")
    ap.add_argument("--calls", type=int, default=300)
    ap.add_argument("--rate", type=float, default=20.0, help="calls per second")
    ap.add_argument("--poll", type=float, default=0.05, help="reader's list interval, seconds")
    ap.add_argument("--timeout", type=float, default=60.0, help="give up this long after the last call")
    args = ap.parse_args()

    srv = Server(extra_args=["--delivery-interval", args.interval]).start()
    try:
        org_id, ids, bucket = setup(srv)
        dev = srv.boto3_session("dev").client("kms", region_name="us-east-1", endpoint_url=srv.endpoint)
        audit = srv.boto3_session("audit").client("s3", region_name="us-east-1", endpoint_url=srv.endpoint)
        prefix = f"AWSLogs/{org_id}/{ids['Dev']}/CloudTrail/us-east-1/"
        dev.list_keys()  # assume the role before measuring

        acked = {}     # request id -> time the answer arrived
        readable = {}  # request id -> time a file holding it was first downloaded
        lock = threading.Lock()
        done = threading.Event()
        seen_keys = set()

        def reader():
            paginator = audit.get_paginator("list_objects_v2")
            while not done.is_set():
                for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
                    for obj in page.get("Contents", []):
                        if obj["Key"] in seen_keys:
                            continue
                        seen_keys.add(obj["Key"])
                        body = audit.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
                        now = time.monotonic()
                        for r in json.loads(gzip.decompress(body))["Records"]:
                            with lock:
                                readable.setdefault(r.get("requestID"), now)
                time.sleep(args.poll)

        t = threading.Thread(target=reader, daemon=True)
        t.start()
        start = time.monotonic()
        for i in range(args.calls):
            target = start + i / args.rate
            delay = target - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            resp = dev.list_keys()
            now = time.monotonic()
            acked[resp["ResponseMetadata"]["RequestId"]] = now
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline:
            with lock:
                if all(rid in readable for rid in acked):
                    break
            time.sleep(0.1)
        done.set()
        t.join(timeout=10)

        with lock:
            missing = [rid for rid in acked if rid not in readable]
            lat = [readable[rid] - at for rid, at in acked.items() if rid in readable]
        ms = [x * 1000 for x in lat]
        print(f"delivery-interval={args.interval} calls={args.calls} rate={args.rate}/s "
              f"files={len(seen_keys)} delivered={len(lat)} missing={len(missing)}")
        print(f"latency ms: p50={percentile(ms, 50):.0f} p90={percentile(ms, 90):.0f} "
              f"p99={percentile(ms, 99):.0f} max={max(ms) if ms else float('nan'):.0f}")
        return 1 if missing else 0
    finally:
        srv.cleanup()


if __name__ == "__main__":
    sys.exit(main())
