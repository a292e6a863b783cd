"""Log file integrity end to end (issue 4): an organization trail with validation and SSE-KMS,
activity in Dev and Prod in two regions, digests every 2 s; then the stock
`aws cloudtrail validate-logs` reports every digest and log file valid for each account and region,
and `orgtrail validate-logs` validates the whole organization in one run. Finally a log object is
replaced by other bytes (as the Audit account, the bucket owner): both validators report it and
exit non-zero."""
import datetime
import gzip
import json
import os
import re
import subprocess
import time

from harness import check, run
from test_org_trail import REGIONS, activity, audit_infrastructure
from test_walkthrough import create_account

ORGTRAIL_CLI = os.environ.get("ORGTRAIL_CLI", os.path.join(os.path.dirname(__file__), "../../build/bin/orgtrail"))


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def objects(s3, bucket, prefix):
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys += [o["Key"] for o in page.get("Contents", [])]
    return keys


def listed_in_digests(s3, bucket, org_id, acct, region):
    """Log keys listed by the digests of one chain."""
    listed = set()
    for k in objects(s3, bucket, f"AWSLogs/{org_id}/{acct}/CloudTrail-Digest/{region}/"):
        body = s3.get_object(Bucket=bucket, Key=k)["Body"].read()
        d = json.loads(gzip.decompress(body))
        listed |= {f["s3Object"] for f in d["logFiles"]}
    return listed


def stock_validate(srv, trail_arn, start, acct, region):
    env = srv.cli_env()
    env["AWS_ENDPOINT_URL"] = srv.endpoint
    cmd = ["aws", "--profile", "management", "cloudtrail", "validate-logs", "--trail-arn", trail_arn,
           "--start-time", start, "--account-id", acct, "--region", region, "--verbose"]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def orgtrail_validate(srv, trail_arn, start, *extra):
    env = srv.cli_env()
    cmd = [ORGTRAIL_CLI, "validate-logs", "--trail-arn", trail_arn, "--start-time", start,
           "--endpoint-url", srv.endpoint, "--profile", "management", *extra]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def ratio(text, kind):
    m = re.search(r"(\d+)/(\d+) %s files valid" % kind, text)
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def grant_management_read(srv, mgmt, bucket, key_arn):
    """The validators run as the management account: Audit lets it read the bucket and decrypt."""
    policy = json.loads(srv.aws("s3api", "get-bucket-policy", "--bucket", bucket, profile="audit")["Policy"])
    policy["Statement"].append({
        "Sid": "ManagementValidates", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{mgmt}:root"},
        "Action": ["s3:GetBucketLocation", "s3:ListBucket", "s3:GetObject"],
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]})
    srv.aws("s3api", "put-bucket-policy", "--bucket", bucket, "--policy", json.dumps(policy), profile="audit")
    key_policy = json.loads(srv.aws("kms", "get-key-policy", "--key-id", key_arn, "--policy-name", "default",
                                    profile="audit")["Policy"])
    key_policy["Statement"].append({
        "Sid": "ManagementDecrypts", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{mgmt}:root"},
        "Action": "kms:Decrypt", "Resource": "*"})
    srv.aws("kms", "put-key-policy", "--key-id", key_arn, "--policy-name", "default",
            "--policy", json.dumps(key_policy), profile="audit")


def validated_org_trail(srv, sse_kms=True):
    """Organization, accounts Audit/Dev/Prod (with role profiles), the Audit account's key and
    bucket (readable by the management account), and a logging multi-region organization trail
    with log file validation, its log files SSE-KMS encrypted unless sse_kms is False (then as the
    bucket stores them). Returns (mgmt, org_id, ids, key_arn, bucket, trail_arn)."""
    mgmt = srv.aws("sts", "get-caller-identity")["Account"]
    org_id = srv.aws("organizations", "create-organization", "--feature-set", "ALL")["Organization"]["Id"]
    ids = {n: create_account(srv, n) for n in ("Audit", "Dev", "Prod")}
    for n in ids:
        srv.add_role_profile(n.lower(), ids[n])
    key_arn, bucket, trail_arn = audit_infrastructure(srv, mgmt, org_id, ids["Audit"])
    grant_management_read(srv, mgmt, bucket, key_arn)
    srv.aws("organizations", "enable-aws-service-access", "--service-principal", "cloudtrail.amazonaws.com")
    srv.aws("cloudtrail", "create-trail", "--name", "org-trail", "--s3-bucket-name", bucket,
            "--is-organization-trail", "--is-multi-region-trail", "--enable-log-file-validation",
            *(["--kms-key-id", key_arn] if sse_kms else []))
    srv.aws("cloudtrail", "start-logging", "--name", "org-trail")
    return mgmt, org_id, ids, key_arn, bucket, trail_arn


def validate_logs(srv):
    start = iso(datetime.datetime.utcnow() - datetime.timedelta(minutes=5))
    mgmt, org_id, ids, key_arn, bucket, trail_arn = validated_org_trail(srv)

    # ListPublicKeys answers for the caller's region with the region's current key.
    for region in REGIONS:
        keys = srv.aws("--region", region, "cloudtrail", "list-public-keys")["PublicKeyList"]
        check(len(keys) == 1 and re.fullmatch(r"[0-9a-f]{32}", keys[0]["Fingerprint"]), f"{region}: {keys}")

    activity(srv, "dev", "dev")
    activity(srv, "prod", "prod")

    s3 = srv.boto3_session("audit").client("s3")
    chains = [(ids[a], r) for a in ("Dev", "Prod") for r in REGIONS]
    # Every log file of the four chains ends up listed in a digest of its chain.
    deadline = time.time() + 120
    while True:
        missing = {}
        for acct, region in chains:
            logs = set(objects(s3, bucket, f"AWSLogs/{org_id}/{acct}/CloudTrail/{region}/"))
            if not logs:
                missing[(acct, region)] = "no log files"
                continue
            unlisted = logs - listed_in_digests(s3, bucket, org_id, acct, region)
            if unlisted:
                missing[(acct, region)] = sorted(unlisted)
        if not missing:
            break
        if time.time() > deadline:
            raise AssertionError(f"log files never covered by digests: {missing}")
        time.sleep(1)

    # Digests: SSE-S3, signature metadata, CloudTrail's key names.
    dkey = objects(s3, bucket, f"AWSLogs/{org_id}/{ids['Dev']}/CloudTrail-Digest/{REGIONS[0]}/")[0]
    head = s3.head_object(Bucket=bucket, Key=dkey)
    check(head.get("ServerSideEncryption") == "AES256", f"digest not SSE-S3: {head}")
    check(re.fullmatch(r"[0-9a-f]{512}", head["Metadata"].get("signature", "")), f"signature: {head['Metadata']}")
    check(head["Metadata"].get("signature-algorithm") == "SHA256withRSA", f"{head['Metadata']}")
    check(re.search(r"/%s_CloudTrail-Digest_%s_org-trail_us-east-1_\d{8}T\d{6}Z\.json\.gz$" % (ids["Dev"], REGIONS[0]),
                    dkey), f"digest key {dkey}")
    status = srv.aws("cloudtrail", "get-trail-status", "--name", "org-trail")
    check(status.get("LatestDigestDeliveryTime") and not status.get("LatestDigestDeliveryError"), f"{status}")

    # The stock AWS CLI: everything valid, for each account and region.
    for acct, region in chains:
        rc, out, err = stock_validate(srv, trail_arn, start, acct, region)
        check(rc == 0 and "INVALID" not in out + err, f"aws validate-logs {acct} {region} rc={rc}\n{out}\n{err}")
        d_ok, d_all = ratio(out, "digest")
        l_ok, l_all = ratio(out, "log")
        check(d_all > 0 and d_ok == d_all and l_all > 0 and l_ok == l_all, f"{acct} {region}:\n{out}\n{err}")

    # orgtrail validate-logs: the whole organization in one run.
    rc, out, err = orgtrail_validate(srv, trail_arn, start, "--json")
    check(rc == 0, f"orgtrail validate-logs rc={rc}\n{out}\n{err}")
    report = json.loads(out)
    check(report["valid"] and not report["findings"], f"{report}")
    seen = {(c["accountId"], c["region"]) for c in report["chains"]}
    check(set(chains) <= seen, f"chains {sorted(seen)}")
    check(report["summary"]["logFilesValid"] >= 4 and report["summary"]["digestFilesValid"] >= 4, f"{report['summary']}")

    # Tamper: Audit (the bucket owner) replaces one of Dev's log files with other bytes.
    victim = sorted(listed_in_digests(s3, bucket, org_id, ids["Dev"], REGIONS[1]))[0]
    records = json.loads(gzip.decompress(s3.get_object(Bucket=bucket, Key=victim)["Body"].read()))
    records["Records"] = records["Records"][:-1] if len(records["Records"]) > 1 else []
    s3.put_object(Bucket=bucket, Key=victim, Body=gzip.compress(json.dumps(records).encode()))

    rc, out, err = stock_validate(srv, trail_arn, start, ids["Dev"], REGIONS[1])
    check(rc != 0 and f"{victim}\tINVALID: hash value doesn't match" in err, f"aws missed the tamper rc={rc}\n{out}\n{err}")
    rc, out, err = stock_validate(srv, trail_arn, start, ids["Prod"], REGIONS[1])
    check(rc == 0, f"Prod is not affected: rc={rc}\n{out}\n{err}")
    rc, out, err = orgtrail_validate(srv, trail_arn, start, "--json")
    check(rc == 1, f"orgtrail missed the tamper rc={rc}\n{out}\n{err}")
    findings = json.loads(out)["findings"]
    check([(f["key"], f["status"]) for f in findings if f["type"] == "log"] == [(victim, "modified")]
          or any(f["key"] == victim for f in findings), f"findings {findings}")

    # Tamper 2: a digest deleted from the chain is reported missing by both validators.
    dkeys = objects(s3, bucket, f"AWSLogs/{org_id}/{ids['Prod']}/CloudTrail-Digest/{REGIONS[0]}/")
    if len(dkeys) >= 3:
        s3.put_object(Bucket=bucket, Key=dkeys[1], Body=b"not a digest")
        rc, out, err = stock_validate(srv, trail_arn, start, ids["Prod"], REGIONS[0])
        check(rc != 0 and dkeys[1] in err and "INVALID" in err, f"aws missed the bad digest rc={rc}\n{out}\n{err}")
        rc, out, err = orgtrail_validate(srv, trail_arn, start, "--account-id", ids["Prod"], "--region", REGIONS[0])
        check(rc == 1 and dkeys[1] in out + err, f"orgtrail missed the bad digest rc={rc}\n{out}\n{err}")


if __name__ == "__main__":
    run(validate_logs, "--delivery-interval", "1s", "--digest-interval", "2s")
