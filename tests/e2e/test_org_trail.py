"""DESIGN.md steps 1-5 with the stock AWS CLI: an organization, the Audit account's key, bucket
and policies, trusted access, a multi-region organization trail with validation and KMS; activity
in Dev and Prod in two regions and in an account created after the trail; then, as Audit, one
folder per account and region whose files hold that account's events; Dev's attempts to stop,
update and delete the trail fail, the trail keeps logging, and the attempts are on the record."""
import gzip
import json
import os
import tempfile
import time

from harness import check, run
from test_walkthrough import create_account

REGIONS = ("us-east-1", "eu-west-1")


def audit_infrastructure(srv, mgmt, org_id, audit):
    key = srv.aws("kms", "create-key", "--description", "org trail", profile="audit")["KeyMetadata"]
    srv.aws("kms", "create-alias", "--alias-name", "alias/org-trail", "--target-key-id", key["KeyId"], profile="audit")
    key_policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{audit}:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "CloudTrailEncrypt", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "kms:GenerateDataKey*", "Resource": "*",
         "Condition": {"StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{mgmt}:trail/*"}}},
        {"Sid": "CloudTrailDescribe", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "kms:DescribeKey", "Resource": "*"}]}
    srv.aws("kms", "put-key-policy", "--key-id", key["KeyId"], "--policy-name", "default",
            "--policy", json.dumps(key_policy), profile="audit")
    bucket = "acme-org-cloudtrail"
    srv.aws("s3api", "create-bucket", "--bucket", bucket, profile="audit")
    trail_arn = f"arn:aws:cloudtrail:us-east-1:{mgmt}:trail/org-trail"
    cond = {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trail_arn}}
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "AWSCloudTrailAclCheck20150319", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:GetBucketAcl", "Resource": f"arn:aws:s3:::{bucket}",
         "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}}},
        {"Sid": "AWSCloudTrailWrite20150319", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/AWSLogs/{mgmt}/*", "Condition": cond},
        {"Sid": "AWSCloudTrailOrganizationWrite20150319", "Effect": "Allow",
         "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/AWSLogs/{org_id}/*", "Condition": cond}]}
    srv.aws("s3api", "put-bucket-policy", "--bucket", bucket, "--policy", json.dumps(policy), profile="audit")
    srv.aws("s3api", "put-bucket-versioning", "--bucket", bucket, "--versioning-configuration", "Status=Enabled",
            profile="audit")
    return key["Arn"], bucket, trail_arn


def activity(srv, profile, tag):
    for region in REGIONS:
        srv.aws("--region", region, "kms", "list-keys", profile=profile)
        srv.aws("--region", region, "kms", "create-key", "--description", f"{tag}-{region}", profile=profile)


def list_log_files(srv, bucket):
    out = srv.aws("s3api", "list-objects-v2", "--bucket", bucket, "--prefix", "AWSLogs/", profile="audit")
    return [o["Key"] for o in out.get("Contents", [])]


def org_trail(srv):
    mgmt = srv.aws("sts", "get-caller-identity")["Account"]
    org_id = srv.aws("organizations", "create-organization", "--feature-set", "ALL")["Organization"]["Id"]
    ids = {n: create_account(srv, n) for n in ("Audit", "Dev", "Prod")}
    for n in ("Audit", "Dev", "Prod"):
        srv.add_role_profile(n.lower(), ids[n])
    key_arn, bucket, trail_arn = audit_infrastructure(srv, mgmt, org_id, ids["Audit"])

    # Without trusted access an organization trail is refused, as on AWS.
    srv.aws("cloudtrail", "create-trail", "--name", "org-trail", "--s3-bucket-name", bucket,
            "--is-organization-trail", "--is-multi-region-trail", expect_error="CloudTrailAccessNotEnabledException")
    srv.aws("organizations", "enable-aws-service-access", "--service-principal", "cloudtrail.amazonaws.com")
    trail = srv.aws("cloudtrail", "create-trail", "--name", "org-trail", "--s3-bucket-name", bucket,
                    "--is-organization-trail", "--is-multi-region-trail", "--enable-log-file-validation",
                    "--kms-key-id", key_arn)
    check(trail["TrailARN"] == trail_arn and trail["IsOrganizationTrail"] and trail["IsMultiRegionTrail"], f"{trail}")
    check(trail.get("LogFileValidationEnabled") is True and trail.get("KmsKeyId") == key_arn, f"{trail}")
    srv.aws("cloudtrail", "start-logging", "--name", "org-trail")
    check(srv.aws("cloudtrail", "get-trail-status", "--name", "org-trail")["IsLogging"], "not logging")

    # Members see the trail read-only and cannot stop, change or delete it.
    seen = srv.aws("cloudtrail", "describe-trails", profile="dev")["trailList"]
    check(any(t["TrailARN"] == trail_arn and t["IsOrganizationTrail"] for t in seen), f"Dev does not see the trail: {seen}")
    for args in (["stop-logging", "--name", trail_arn],
                 ["update-trail", "--name", trail_arn, "--s3-bucket-name", "elsewhere"],
                 ["delete-trail", "--name", trail_arn]):
        srv.aws("cloudtrail", *args, profile="dev", expect_error="NotOrganizationMasterAccountException")
    check(srv.aws("cloudtrail", "get-trail-status", "--name", trail_arn, profile="dev")["IsLogging"],
          "Dev's attempts stopped the trail")

    # Activity in Dev and Prod in two regions, and in an account created after the trail.
    activity(srv, "dev", "dev")
    activity(srv, "prod", "prod")
    later = create_account(srv, "Later")
    srv.add_role_profile("later", later)
    activity(srv, "later", "later")

    expected = {(acct, region) for acct in (ids["Dev"], ids["Prod"], later) for region in REGIONS}
    deadline = time.time() + 90
    while True:
        keys = list_log_files(srv, bucket)
        folders = set()
        for k in keys:
            parts = k.split("/")
            if len(parts) > 5 and parts[1] == org_id and parts[3] == "CloudTrail":
                folders.add((parts[2], parts[4]))
        if expected <= folders:
            break
        if time.time() > deadline:
            raise AssertionError(f"missing folders {expected - folders}; have {sorted(folders)}")
        time.sleep(0.5)

    # `aws s3 ls --recursive` as Audit shows a folder per account and region.
    listing = srv.aws("s3", "ls", "--recursive", f"s3://{bucket}/AWSLogs/{org_id}/", profile="audit")
    for acct, region in expected:
        check(f"AWSLogs/{org_id}/{acct}/CloudTrail/{region}/" in listing, f"s3 ls lacks {acct}/{region}")

    # Every downloaded file holds events of the account in its path; the key is the trail's.
    tmp = tempfile.mkdtemp()
    names_by_account = {}
    for k in list_log_files(srv, bucket):
        if "/CloudTrail/" not in k:
            continue
        acct, region = k.split("/")[2], k.split("/")[4]
        check(k.endswith(".json.gz") and os.path.basename(k).startswith(f"{acct}_CloudTrail_{region}_"), f"bad key {k}")
        head = srv.aws("s3api", "head-object", "--bucket", bucket, "--key", k, profile="audit")
        check(head.get("ServerSideEncryption") == "aws:kms" and head.get("SSEKMSKeyId") == key_arn, f"not SSE-KMS: {head}")
        path = os.path.join(tmp, "f.json.gz")
        srv.aws("s3api", "get-object", "--bucket", bucket, "--key", k, path, profile="audit")
        with gzip.open(path, "rb") as f:
            records = json.loads(f.read())["Records"]
        check(records, f"empty log file {k}")
        for r in records:
            check(r["recipientAccountId"] == acct, f"{k} holds a record for {r['recipientAccountId']}")
            check(r["awsRegion"] == region, f"{k} holds a record of region {r['awsRegion']}")
            check(r["eventVersion"] == "1.11" and r["eventType"] == "AwsApiCall", f"record shape {r}")
            names_by_account.setdefault(acct, []).append(r)
    for acct in (ids["Dev"], ids["Prod"], later):
        names = {r["eventName"] for r in names_by_account.get(acct, [])}
        check({"ListKeys", "CreateKey"} <= names, f"{acct} lacks its KMS events: {names}")
    dev_denied = [r for r in names_by_account.get(ids["Dev"], [])
                  if r["eventName"] in ("StopLogging", "UpdateTrail", "DeleteTrail")]
    check({r["eventName"] for r in dev_denied} == {"StopLogging", "UpdateTrail", "DeleteTrail"},
          f"Dev's tamper attempts are not all recorded: {dev_denied}")
    for r in dev_denied:
        check(r.get("errorCode") == "NotOrganizationMasterAccountException", f"attempt without errorCode: {r}")
        check(r["userIdentity"]["type"] == "AssumedRole" and r["userIdentity"]["accountId"] == ids["Dev"], f"{r}")
    # The management account's own calls are delivered under its folder too (us-east-1).
    mgmt_names = {r["eventName"] for r in names_by_account.get(mgmt, [])}
    # CreateTrail itself precedes StartLogging, so (as on AWS) it is not in the trail.
    check({"StartLogging", "CreateAccount"} <= mgmt_names, f"management events missing: {mgmt_names}")
    status = srv.aws("cloudtrail", "get-trail-status", "--name", "org-trail")
    check(status["IsLogging"] and status.get("LatestDeliveryTime"), f"status {status}")
    check(not status.get("LatestDeliveryError"), f"delivery error: {status}")
    # The trail's own use of the audit account's key is on the record, as AWS shows it: a
    # GenerateDataKey by the service (AWSService, invokedBy cloudtrail) in the key owner's account.
    audit = ids["Audit"]
    deadline = time.time() + 30
    service_calls = []
    while not service_calls:
        check(time.time() < deadline, "the trail's GenerateDataKey calls were never delivered")
        time.sleep(0.5)
        for k in list_log_files(srv, bucket):
            if f"/{audit}/CloudTrail/us-east-1/" not in k:
                continue
            path = os.path.join(tmp, "a.json.gz")
            srv.aws("s3api", "get-object", "--bucket", bucket, "--key", k, path, profile="audit")
            with gzip.open(path, "rb") as f:
                service_calls += [r for r in json.loads(f.read())["Records"]
                                  if r["eventName"] == "GenerateDataKey"
                                  and r["userIdentity"]["type"] == "AWSService"]
    r = service_calls[0]
    check(r["userIdentity"].get("invokedBy") == "cloudtrail.amazonaws.com" and
          r["sourceIPAddress"] == "cloudtrail.amazonaws.com" and r["eventSource"] == "kms.amazonaws.com", f"{r}")
    check(r["requestParameters"]["keyId"] == key_arn and
          r["requestParameters"]["encryptionContext"]["aws:cloudtrail:arn"] == trail_arn, f"{r}")
    check(r["recipientAccountId"] == audit and r["resources"][0]["ARN"] == key_arn, f"{r}")
    # Dev cannot read the audit bucket.
    srv.aws("s3api", "list-objects-v2", "--bucket", bucket, profile="dev", expect_error="AccessDenied")


if __name__ == "__main__":
    run(org_trail, "--delivery-interval", "1s")
