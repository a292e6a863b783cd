"""`orgtrail validate-logs --data-dir` end to end (issue 4): an organization trail with log file
validation (digests SSE-S3, log files SSE-KMS under the Audit account's key), activity in Dev and Prod in two regions over
several digest periods. With the server still running, `--data-dir` opens the data directory
read-only and agrees with API mode on every count; nothing in the data directory changes (no
file is created, modified or removed). A log file replaced by the bucket owner is reported as
modified, through the data directory as through the API, and again after the server stopped.
A directory that is not a data directory is refused without being written to."""
import datetime
import gzip
import json
import os
import subprocess
import tempfile
import time

from harness import check, run
from test_org_trail import REGIONS, activity
from test_validate_logs import (ORGTRAIL_CLI, iso, listed_in_digests, objects, orgtrail_validate,
                                validated_org_trail)


def data_dir_validate(srv, trail_arn, start, bucket, org_id, data_dir=None):
    cmd = [ORGTRAIL_CLI, "validate-logs", "--trail-arn", trail_arn, "--start-time", start,
           "--data-dir", data_dir or srv.data_dir, "--s3-bucket", bucket, "--org-id", org_id, "--json"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def snapshot(root):
    """Every file under root (the wal and the server's own log aside) with size and mtime."""
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            st = os.stat(p)
            out[os.path.relpath(p, root)] = (st.st_size, st.st_mtime_ns)
    return out


def validate_data_dir(srv):
    start = iso(datetime.datetime.utcnow() - datetime.timedelta(minutes=5))
    _, org_id, ids, _, bucket, trail_arn = validated_org_trail(srv)
    for n in range(3):
        activity(srv, "dev", f"dev{n}")
        activity(srv, "prod", f"prod{n}")
        time.sleep(2)

    s3 = srv.boto3_session("audit").client("s3")
    chains = [(ids[a], r) for a in ("Dev", "Prod") for r in REGIONS]
    deadline = time.time() + 120
    while True:
        missing = [c for c in chains
                   if not objects(s3, bucket, f"AWSLogs/{org_id}/{c[0]}/CloudTrail/{c[1]}/")
                   or set(objects(s3, bucket, f"AWSLogs/{org_id}/{c[0]}/CloudTrail/{c[1]}/"))
                   - listed_in_digests(s3, bucket, org_id, *c)]
        if not missing:
            break
        check(time.time() < deadline, f"log files never covered by digests: {missing}")
        time.sleep(1)
    srv.aws("cloudtrail", "stop-logging", "--name", "org-trail")
    time.sleep(5)  # the final digests
    # Digests are SSE-S3 (opened with the data directory's key), log files SSE-KMS (opened with
    # the KMS key's material from the data directory's catalog).
    dhead = s3.head_object(Bucket=bucket, Key=objects(s3, bucket, f"AWSLogs/{org_id}/{ids['Dev']}/CloudTrail-Digest/")[0])
    check(dhead.get("ServerSideEncryption") == "AES256", f"digest not SSE-S3: {dhead}")
    lhead = s3.head_object(Bucket=bucket, Key=objects(s3, bucket, f"AWSLogs/{org_id}/{ids['Dev']}/CloudTrail/")[0])
    check(lhead.get("ServerSideEncryption") == "aws:kms", f"log file not SSE-KMS: {lhead}")

    # Server running: --data-dir reads beside it, read-only, and agrees with API mode.
    rc, out, err = orgtrail_validate(srv, trail_arn, start, "--json")
    check(rc == 0, f"orgtrail validate-logs (API) rc={rc}\n{out}\n{err}")
    api = json.loads(out)
    objects_dir = os.path.join(srv.data_dir, "objects")
    before = snapshot(objects_dir)
    catalog_before = os.stat(os.path.join(srv.data_dir, "catalog.db")).st_mtime_ns
    rc, out, err = data_dir_validate(srv, trail_arn, start, bucket, org_id)
    check(rc == 0, f"orgtrail validate-logs --data-dir rc={rc}\n{out}\n{err}")
    dd = json.loads(out)
    check(dd["valid"] and not dd["findings"], f"{dd}")
    for k in ("digestFilesValid", "logFilesValid", "logFilesNotListed", "brokenLinks"):
        check(dd["summary"][k] == api["summary"][k], f"{k}: --data-dir {dd['summary']} API {api['summary']}")
    check(dd["summary"]["logFilesValid"] >= 8, f"{dd['summary']}")
    check({(c["accountId"], c["region"]) for c in dd["chains"]} >= set(chains), f"{dd['chains']}")
    # Only the server may have touched the store meanwhile (it is idle: the trail is stopped).
    after = snapshot(objects_dir)
    check(after == before, f"the data directory changed: {set(after.items()) ^ set(before.items())}")
    check(os.stat(os.path.join(srv.data_dir, "catalog.db")).st_mtime_ns == catalog_before, "catalog.db written")

    # Tamper: Audit (the bucket owner) replaces one of Dev's log files with other bytes.
    victim = sorted(listed_in_digests(s3, bucket, org_id, ids["Dev"], REGIONS[1]))[0]
    records = json.loads(gzip.decompress(s3.get_object(Bucket=bucket, Key=victim)["Body"].read()))
    records["Records"] = records["Records"][:-1] if len(records["Records"]) > 1 else []
    s3.put_object(Bucket=bucket, Key=victim, Body=gzip.compress(json.dumps(records).encode()))
    for when in ("server running", "server stopped"):
        if when == "server stopped":
            srv.stop()
        rc, out, err = data_dir_validate(srv, trail_arn, start, bucket, org_id)
        check(rc == 1, f"{when}: --data-dir missed the tamper rc={rc}\n{out}\n{err}")
        report = json.loads(out)
        check([(f["key"], f["status"]) for f in report["findings"]] == [(victim, "modified")],
              f"{when}: findings {report['findings']}")
        check(report["summary"]["logFilesValid"] == dd["summary"]["logFilesValid"] - 1, f"{report['summary']}")

    # Not a data directory: refused, and nothing is created there.
    with tempfile.TemporaryDirectory() as empty:
        rc, out, err = data_dir_validate(srv, trail_arn, start, bucket, org_id, data_dir=empty)
        check(rc == 255 and "no object index" in err, f"empty dir rc={rc}\n{out}\n{err}")
        check(os.listdir(empty) == [], f"created {os.listdir(empty)}")


if __name__ == "__main__":
    run(validate_data_dir, "--delivery-interval", "1s", "--digest-interval", "2s")
