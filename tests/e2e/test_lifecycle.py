"""DESIGN.md step 7 with the stock AWS CLI on `orgtraild --simulated-clock`: the organization
trail of test_org_trail.py delivers into the audit bucket, which carries the template's two
lifecycle rules (GLACIER after 14 days with abort-incomplete-multipart after 1, expiry after 180).
Advancing the clock 15 days moves the logs to GLACIER: list/head report it and get-object fails
with InvalidObjectState until restore-object has completed; at day 181 they are gone (the bucket
is versioned, so each now has a delete marker), while logs delivered later age on their own.
Restored, the cold digests and logs validate (the stock CLI and ours). `orgtrail validate-logs` at
day 181 finds nothing to report as tampering: archived files are reported as needing a restore and,
once restored, the day-0 logs the digests list are reported as expired by the rule."""
import calendar
import gzip
import json
import os
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

from harness import check, run
from test_org_trail import org_trail

ORGTRAIL_CLI = os.environ.get("ORGTRAIL_CLI", "orgtrail")
BUCKET = "acme-org-cloudtrail"  # as test_org_trail.audit_infrastructure creates it
DAY = 86400

# The template's rules (src/cfn/testdata/audit-account.yaml), as put-bucket-lifecycle-configuration.
TEMPLATE_RULES = {"Rules": [
    {"ID": "TransitionToGlacier", "Status": "Enabled", "Filter": {"Prefix": ""},
     "Transitions": [{"Days": 14, "StorageClass": "GLACIER"}],
     "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}},
    {"ID": "ExpireLogs", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 180}},
]}


def advance(srv, **kw):
    """POST /_orgtrail/clock/advance?days=N|seconds=N; returns the JSON answer."""
    (unit, n), = kw.items()
    req = urllib.request.Request(f"{srv.endpoint}/_orgtrail/clock/advance?{unit}={n}", data=b"", method="POST")
    with urllib.request.urlopen(req, timeout=120) as r:
        check(r.status == 200, f"advance answered {r.status}")
        return json.loads(r.read())


def s3_time(s):
    """2026-11-26T15:01:31.000Z / +00:00 -> unix seconds."""
    s = s.replace("+00:00", "Z")
    return calendar.timegm(time.strptime(s.split(".")[0].rstrip("Z"), "%Y-%m-%dT%H:%M:%S"))


def log_objects(srv):
    out = srv.aws("s3api", "list-objects-v2", "--bucket", BUCKET, "--prefix", "AWSLogs/", profile="audit")
    return {o["Key"]: o for o in out.get("Contents", []) if "/CloudTrail/" in o["Key"]}


def download(srv, key, profile="audit"):
    path = os.path.join(tempfile.mkdtemp(), "f.json.gz")
    srv.aws("s3api", "get-object", "--bucket", BUCKET, "--key", key, path, profile=profile)
    with gzip.open(path, "rb") as f:
        return json.loads(f.read())["Records"]


def restore_all_cold(srv):
    """restore-object (Expedited, 1 day) for every GLACIER object under AWSLogs/, then let the
    simulated clock pass the restore time. Returns how many were restored."""
    s3 = srv.boto3_session("audit").client("s3", endpoint_url=srv.endpoint)
    n = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="AWSLogs/"):
        for o in page.get("Contents", []):
            if o.get("StorageClass") == "GLACIER":
                s3.restore_object(Bucket=BUCKET, Key=o["Key"], RestoreRequest={
                    "Days": 1, "GlacierJobParameters": {"Tier": "Expedited"}})
                n += 1
    advance(srv, seconds=600)
    return n


def orgtrail_validate(srv, trail_arn, start, end, as_of):
    iso = lambda t: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))  # noqa: E731
    p = subprocess.run([ORGTRAIL_CLI, "validate-logs", "--profile", "audit", "--trail-arn", trail_arn,
                        "--start-time", iso(start), "--end-time", iso(end), "--as-of", iso(as_of),
                        "--json"], env=srv.cli_env(), capture_output=True, text=True, timeout=300)
    report = json.loads(p.stdout) if p.stdout.strip().startswith("{") else {}
    check(p.returncode == 0 and report.get("valid") is True,
          f"validate-logs: rc={p.returncode}\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}")
    return report


def lifecycle(srv):
    # The advance route is there (and answers bad input precisely) only under --simulated-clock.
    try:
        urllib.request.urlopen(urllib.request.Request(
            f"{srv.endpoint}/_orgtrail/clock/advance?days=soon", data=b"", method="POST"), timeout=10)
        raise AssertionError("advance?days=soon succeeded")
    except urllib.error.HTTPError as e:
        check(e.code == 400 and json.loads(e.read())["__type"] == "InvalidParameterValue", f"{e.code}")

    org_trail(srv)  # organization trail delivering into BUCKET (versioned, SSE-KMS)
    srv.aws("s3api", "put-bucket-lifecycle-configuration", "--bucket", BUCKET,
            "--lifecycle-configuration", json.dumps(TEMPLATE_RULES), profile="audit")
    rules = srv.aws("s3api", "get-bucket-lifecycle-configuration", "--bucket", BUCKET, profile="audit")["Rules"]
    check({r["ID"] for r in rules} == {"TransitionToGlacier", "ExpireLogs"}, f"rules {rules}")

    t0 = time.time()
    day0 = log_objects(srv)
    check(day0, "no log files delivered")
    for k, o in day0.items():
        check(o.get("StorageClass", "STANDARD") == "STANDARD", f"{k} starts as {o}")
    newest_day0 = max(s3_time(o["LastModified"]) for o in day0.values())
    sample = sorted(day0)[0]

    # Day 15: past the 14-day transition (S3 rounds to the next midnight UTC).
    a = advance(srv, days=15)
    t15 = a["unixSeconds"]
    check(a["offsetSeconds"] == 15 * DAY, f"{a}")
    check(a["lifecycle"].get("transitioned", 0) >= len(day0), f"lifecycle pass {a}")
    check(a["lifecycle"].get("expired", 0) == 0, f"expired too early: {a}")
    listed = log_objects(srv)
    for k in day0:
        check(k in listed and listed[k].get("StorageClass") == "GLACIER", f"{k} after 15 days: {listed.get(k)}")
    head = srv.aws("s3api", "head-object", "--bucket", BUCKET, "--key", sample, profile="audit")
    check(head.get("StorageClass") == "GLACIER" and "Restore" not in head, f"head {head}")
    check(head.get("ServerSideEncryption") == "aws:kms", f"cold object lost its SSE metadata: {head}")
    path = os.path.join(tempfile.mkdtemp(), "f")
    srv.aws("s3api", "get-object", "--bucket", BUCKET, "--key", sample, path, profile="audit",
            expect_error="InvalidObjectState")

    # Restore (Expedited: minutes on S3, on the simulated clock here).
    srv.aws("s3api", "restore-object", "--bucket", BUCKET, "--key", sample, "--restore-request",
            "Days=1,GlacierJobParameters={Tier=Expedited}", profile="audit")
    head = srv.aws("s3api", "head-object", "--bucket", BUCKET, "--key", sample, profile="audit")
    check(head.get("Restore") == 'ongoing-request="true"', f"restore not in progress: {head}")
    srv.aws("s3api", "get-object", "--bucket", BUCKET, "--key", sample, path, profile="audit",
            expect_error="InvalidObjectState")
    srv.aws("s3api", "restore-object", "--bucket", BUCKET, "--key", sample, "--restore-request",
            "Days=1,GlacierJobParameters={Tier=Expedited}", profile="audit",
            expect_error="RestoreAlreadyInProgress")
    advance(srv, seconds=600)
    head = srv.aws("s3api", "head-object", "--bucket", BUCKET, "--key", sample, profile="audit")
    check(head.get("StorageClass") == "GLACIER", f"restored copy changed the class: {head}")
    check(head.get("Restore", "").startswith('ongoing-request="false", expiry-date="'), f"restore not done: {head}")
    acct, region = sample.split("/")[2], sample.split("/")[4]
    records = download(srv, sample)
    check(records and all(r["recipientAccountId"] == acct and r["awsRegion"] == region for r in records),
          f"restored {sample} holds other records")
    # Another cold log, never restored, stays unreadable.
    other = sorted(day0)[-1]
    if other != sample:
        srv.aws("s3api", "get-object", "--bucket", BUCKET, "--key", other, path, profile="audit",
                expect_error="InvalidObjectState")

    # Restored, the cold digests and logs validate: the stock CLI for one chain, ours for all.
    trail_arn = srv.aws("cloudtrail", "describe-trails")["trailList"][0]["TrailARN"]
    check(restore_all_cold(srv) >= len(day0), "nothing to restore at day 15")
    now = advance(srv, seconds=1)["unixSeconds"]
    report = orgtrail_validate(srv, trail_arn, t0 - 3600, now + 3600, now)
    summary = report["summary"]
    check(summary["filesArchived"] == 0 and summary["logFilesValid"] >= len(day0)
          and summary["digestFilesValid"] > 0, f"after restore at day 15: {summary}")
    env = srv.cli_env()
    env["AWS_ENDPOINT_URL"] = srv.endpoint
    # (--end-time: the CLI's default is the real clock; the keys and digests live on the simulated one.)
    p = subprocess.run(["aws", "--profile", "audit", "cloudtrail", "validate-logs", "--trail-arn", trail_arn,
                        "--start-time", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t0 - 3600)),
                        "--end-time", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
                        "--account-id", acct, "--region", region],
                       env=env, capture_output=True, text=True, timeout=300)
    check(p.returncode == 0 and "INVALID" not in p.stdout + p.stderr and " digest files valid" in p.stdout,
          f"stock validate-logs of restored logs: rc={p.returncode}\n{p.stdout}\n{p.stderr}")

    # Day 181: past the 180-day expiry of every day-0 log file.
    a = advance(srv, days=181 - 15)
    t181 = a["unixSeconds"]
    check(a["lifecycle"].get("expired", 0) >= len(day0), f"lifecycle pass {a}")
    listed = log_objects(srv)
    for k in day0:
        check(k not in listed, f"{k} still listed at day 181")
    for k, o in listed.items():  # only logs delivered after day 15 remain: younger than 180 days
        check(s3_time(o["LastModified"]) >= t15 - 60, f"{k} ({o['LastModified']}) outlived its expiry")
    check(t181 - newest_day0 > 180 * DAY, "clock arithmetic")
    srv.aws("s3api", "head-object", "--bucket", BUCKET, "--key", sample, profile="audit", expect_error="404")
    srv.aws("s3api", "get-object", "--bucket", BUCKET, "--key", sample, path, profile="audit",
            expect_error="NoSuchKey")
    versions = srv.aws("s3api", "list-object-versions", "--bucket", BUCKET, "--prefix", sample, profile="audit")
    markers = [m for m in versions.get("DeleteMarkers", []) if m["Key"] == sample]
    kept = [v for v in versions.get("Versions", []) if v["Key"] == sample]
    check(len(markers) == 1 and markers[0]["IsLatest"], f"no delete marker for {sample}: {versions}")
    check(len(kept) == 1 and not kept[0]["IsLatest"] and kept[0].get("StorageClass") == "GLACIER",
          f"the expired version should stay as a noncurrent GLACIER version: {versions}")

    # orgtrail validate-logs at day 181 (judging expiry as of the simulated clock): what the rules
    # removed or archived is not tampering; nothing is a finding.
    report = orgtrail_validate(srv, trail_arn, t0 - 3600, t181 + 3600, t181)
    summary = report["summary"]
    # The logs delivered at day 15 are in GLACIER now: reported as needing a restore, not as
    # tampering.
    check(summary["filesArchived"] > 0 and summary["digestFilesValid"] > 0, f"{summary}")
    # Restored, the walk reads the digests written at day 15 (the first ones: the digest interval
    # is an hour), which list the day-0 logs the expiration rule has removed: reported as expired
    # by lifecycle, per chain, not as missing. (Digests that expire themselves are reported the
    # same way, with the point where the chain's record begins: validator_test.cc.)
    restore_all_cold(srv)
    now = advance(srv, seconds=1)["unixSeconds"]
    report = orgtrail_validate(srv, trail_arn, t0 - 3600, now + 3600, now)
    summary = report["summary"]
    check(summary["filesArchived"] == 0 and summary["logFilesExpiredByLifecycle"] >= len(day0)
          and summary["logFilesInvalid"] == 0, f"{summary}")
    check(sum(c["logFilesExpiredByLifecycle"] for c in report["chains"]) == summary["logFilesExpiredByLifecycle"],
          f"{report['chains']}")

    # Once the trail stops, everything it delivered ages out: the last files (delivered at day
    # 181, by the calls above) expire 180 days later, and no log file is left under AWSLogs/.
    srv.aws("cloudtrail", "stop-logging", "--name", "org-trail")
    time.sleep(3)  # the last batches (1s delivery interval)
    a = advance(srv, days=362 - 181)
    check(a["lifecycle"].get("expired", 0) > 0, f"lifecycle pass {a}")
    check(not log_objects(srv), f"log files left at day 362: {sorted(log_objects(srv))}")
    out = srv.aws("s3api", "list-objects-v2", "--bucket", BUCKET, "--prefix", "AWSLogs/", profile="audit")
    for o in out.get("Contents", []):  # digests written after the stop may remain, nothing older
        check(s3_time(o["LastModified"]) > a["unixSeconds"] - 180 * DAY, f"{o} outlived its expiry")


if __name__ == "__main__":
    run(lifecycle, "--simulated-clock", "--delivery-interval", "1s")
