"""A policy broken after the trail exists, with the stock AWS CLI: delivery is authorized at every
write, so removing the bucket policy's write statement (then the key policy's GenerateDataKey
statement) makes the running organization trail report a delivery error in GetTrailStatus; the
events recorded meanwhile are not lost: once the policy is restored they are delivered."""
import gzip
import json
import os
import tempfile
import time

from harness import check, run
from test_org_trail import audit_infrastructure, list_log_files
from test_walkthrough import create_account


def delivered_request_ids(srv, bucket, prefix, tmp, seen_keys, ids):
    for k in list_log_files(srv, bucket):
        if not k.startswith(prefix) or k in seen_keys:
            continue
        seen_keys.add(k)
        path = os.path.join(tmp, "f.json.gz")
        srv.aws("s3api", "get-object", "--bucket", bucket, "--key", k, path, profile="audit")
        with gzip.open(path, "rb") as f:
            ids.update(r["requestID"] for r in json.loads(f.read())["Records"])
    return ids


def wait_for(what, cond, timeout=60):
    deadline = time.time() + timeout
    while True:
        value = cond()
        if value:
            return value
        check(time.time() < deadline, f"timed out waiting for {what}")
        time.sleep(0.5)


def policy_break(srv):
    mgmt = srv.aws("sts", "get-caller-identity")["Account"]
    org_id = srv.aws("organizations", "create-organization", "--feature-set", "ALL")["Organization"]["Id"]
    audit, dev = create_account(srv, "Audit"), create_account(srv, "Dev")
    srv.add_role_profile("audit", audit)
    srv.add_role_profile("dev", dev)
    key_arn, bucket, _ = audit_infrastructure(srv, mgmt, org_id, audit)
    srv.aws("organizations", "enable-aws-service-access", "--service-principal", "cloudtrail.amazonaws.com")
    srv.aws("cloudtrail", "create-trail", "--name", "org-trail", "--s3-bucket-name", bucket,
            "--is-organization-trail", "--is-multi-region-trail", "--kms-key-id", key_arn)
    srv.aws("cloudtrail", "start-logging", "--name", "org-trail")
    good_bucket = srv.aws("s3api", "get-bucket-policy", "--bucket", bucket, profile="audit")["Policy"]
    good_key = srv.aws("kms", "get-key-policy", "--key-id", key_arn, "--policy-name", "default",
                       profile="audit")["Policy"]
    dev_kms = srv.boto3_session("dev").client("kms", region_name="us-east-1", endpoint_url=srv.endpoint)
    prefix = f"AWSLogs/{org_id}/{dev}/CloudTrail/us-east-1/"
    tmp = tempfile.mkdtemp(prefix="policy-break-")
    seen_keys, delivered = set(), set()

    def call():
        return dev_kms.list_keys()["ResponseMetadata"]["RequestId"]

    # Delivering normally.
    first = call()
    wait_for("the first event", lambda: first in delivered_request_ids(srv, bucket, prefix, tmp, seen_keys, delivered))

    broken_bucket = json.loads(good_bucket)
    broken_bucket["Statement"] = [s for s in broken_bucket["Statement"]
                                  if s["Sid"] != "AWSCloudTrailOrganizationWrite20150319"]
    broken_key = json.loads(good_key)
    broken_key["Statement"] = [s for s in broken_key["Statement"] if s["Sid"] != "CloudTrailEncrypt"]
    cases = [
        ("bucket policy without the organization write statement",
         lambda: srv.aws("s3api", "put-bucket-policy", "--bucket", bucket, "--policy", json.dumps(broken_bucket),
                         profile="audit"),
         lambda: srv.aws("s3api", "put-bucket-policy", "--bucket", bucket, "--policy", good_bucket, profile="audit")),
        ("key policy without GenerateDataKey for the service",
         lambda: srv.aws("kms", "put-key-policy", "--key-id", key_arn, "--policy-name", "default",
                         "--policy", json.dumps(broken_key), profile="audit"),
         lambda: srv.aws("kms", "put-key-policy", "--key-id", key_arn, "--policy-name", "default",
                         "--policy", good_key, profile="audit")),
    ]
    for name, breaks, fixes in cases:
        breaks()
        during = [call() for _ in range(5)]
        status = wait_for(f"a delivery error ({name})", lambda: (
            lambda st: st if st.get("LatestDeliveryError") else None)(
                srv.aws("cloudtrail", "get-trail-status", "--name", "org-trail")))
        check(status["IsLogging"], f"the trail stopped logging: {status}")
        err = status["LatestDeliveryError"]
        check("AccessDenied" in err or "denied" in err.lower(), f"{name}: unexpected delivery error {err!r}")
        # Nothing recorded during the outage is readable yet...
        delivered_request_ids(srv, bucket, prefix, tmp, seen_keys, delivered)
        check(not set(during) & delivered, f"{name}: events delivered despite the broken policy")
        fixes()
        # ...and all of it is delivered once the policy is fixed; the error clears.
        wait_for(f"the events recorded during the outage ({name})",
                 lambda: set(during) <= delivered_request_ids(srv, bucket, prefix, tmp, seen_keys, delivered),
                 timeout=90)
        after = call()
        wait_for("delivery after the fix", lambda: after in delivered_request_ids(
            srv, bucket, prefix, tmp, seen_keys, delivered))
        status = srv.aws("cloudtrail", "get-trail-status", "--name", "org-trail")
        check(status.get("LatestDeliveryTime") is not None, f"{status}")


if __name__ == "__main__":
    run(policy_break, "--delivery-interval", "1s")
