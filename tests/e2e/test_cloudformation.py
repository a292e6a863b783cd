"""Issue 7 with the stock AWS CLI: as the Audit account, CloudFormation deploys the audit account's
infrastructure (src/cfn/testdata/audit-account.yaml): create-stack with the list-form parameters,
the waiter, the stack's outputs; the bucket (versioning, SSE-KMS, lifecycle 14/180, policy), key
(four-statement policy), alias and role read back through S3/KMS/IAM. Then, after deleting that
stack (the Retain bucket survives), `aws cloudformation deploy` of the same template with the
{"Parameters": {...}} file under another stack name and prefix; an update to 30 days changes only
the lifecycle rule; an organization trail created with the stack's outputs delivers SSE-KMS log
files into the stack's bucket; a broken template rolls back naming the failing resource; delete
keeps the retained bucket."""
import gzip
import json
import os
import tempfile
import time

from harness import check, run
from test_walkthrough import create_account

TESTDATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../src/cfn/testdata")
TEMPLATE = os.path.join(TESTDATA, "audit-account.yaml")


def write_json(tmp, name, obj):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        json.dump(obj, f)
    return path


def outputs_of(stack):
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def describe_stack(srv, name):
    return srv.aws("cloudformation", "describe-stacks", "--stack-name", name, profile="audit")["Stacks"][0]


def events_of(srv, name):
    return srv.aws("cloudformation", "describe-stack-events", "--stack-name", name, profile="audit")["StackEvents"]


def check_bucket(srv, bucket, key_arn, transition_days, expire_days, policy=True):
    v = srv.aws("s3api", "get-bucket-versioning", "--bucket", bucket, profile="audit")
    check(v.get("Status") == "Enabled", f"versioning: {v}")
    enc = srv.aws("s3api", "get-bucket-encryption", "--bucket", bucket, profile="audit")
    rule = enc["ServerSideEncryptionConfiguration"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]
    check(rule["SSEAlgorithm"] == "aws:kms", f"encryption: {enc}")
    check(rule.get("KMSMasterKeyID") in (key_arn, key_arn.split("/")[-1]), f"encryption key: {enc} vs {key_arn}")
    lc = srv.aws("s3api", "get-bucket-lifecycle-configuration", "--bucket", bucket, profile="audit")
    rules = {r["ID"]: r for r in lc["Rules"]}
    check(set(rules) == {"TransitionToGlacier", "ExpireLogs"}, f"lifecycle rules: {lc}")
    tr = rules["TransitionToGlacier"]["Transitions"][0]
    check(tr["Days"] == transition_days and tr["StorageClass"] == "GLACIER", f"transition: {lc}")
    check(rules["TransitionToGlacier"]["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == 1, f"{lc}")
    check(rules["ExpireLogs"]["Expiration"]["Days"] == expire_days, f"expiration: {lc}")
    if not policy:  # AWS::S3::BucketPolicy is not retained with the bucket
        srv.aws("s3api", "get-bucket-policy", "--bucket", bucket, profile="audit", expect_error="NoSuchBucketPolicy")
        return lc
    pol = json.loads(srv.aws("s3api", "get-bucket-policy", "--bucket", bucket, profile="audit")["Policy"])
    sids = sorted(s["Sid"] for s in pol["Statement"])
    check(sids == ["AWSCloudTrailAclCheck20131101", "AWSCloudTrailWrite20131101"], f"bucket policy: {pol}")
    write = [s for s in pol["Statement"] if s["Sid"] == "AWSCloudTrailWrite20131101"][0]
    check(write["Resource"] == f"arn:aws:s3:::{bucket}/*", f"bucket policy resource: {write}")
    return lc


def check_key_alias_role(srv, audit, key_id, key_arn, alias):
    meta = srv.aws("kms", "describe-key", "--key-id", key_id, profile="audit")["KeyMetadata"]
    check(meta["Arn"] == key_arn and meta["Enabled"] and meta["KeyState"] == "Enabled", f"key: {meta}")
    check(meta.get("Description") == "CloudTrail log encryption key", f"key description: {meta}")
    policy = json.loads(srv.aws("kms", "get-key-policy", "--key-id", key_id, "--policy-name", "default",
                                profile="audit")["Policy"])
    check(len(policy["Statement"]) == 4, f"key policy has {len(policy['Statement'])} statements: {policy}")
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    reader = by_sid["Allow the read role to decrypt logs"]
    check(reader["Principal"]["AWS"] == f"arn:aws:iam::{audit}:role/CloudTrailLogReader", f"{reader}")
    aliases = srv.aws("kms", "list-aliases", "--key-id", key_id, profile="audit")["Aliases"]
    check([a["AliasName"] for a in aliases] == [alias], f"aliases: {aliases}")
    by_alias = srv.aws("kms", "describe-key", "--key-id", alias, profile="audit")["KeyMetadata"]
    check(by_alias["KeyId"] == key_id, f"alias target: {by_alias}")
    role = srv.aws("iam", "get-role", "--role-name", "CloudTrailLogReader", profile="audit")["Role"]
    check(role["Arn"] == f"arn:aws:iam::{audit}:role/CloudTrailLogReader", f"role: {role}")
    inline = srv.aws("iam", "list-role-policies", "--role-name", "CloudTrailLogReader", profile="audit")
    check(inline["PolicyNames"] == ["DecryptLogs"], f"role policies: {inline}")
    return role


BROKEN = """AWSTemplateFormatVersion: '2010-09-09'
Resources:
  GoodKey:
    Type: AWS::KMS::Key
    Properties:
      Description: rolled back with the stack
  BadBucket:
    Type: AWS::S3::Bucket
    DependsOn: GoodKey
    Properties:
      BucketName: Not_A_Valid_Bucket_Name
"""


def cloudformation(srv):
    mgmt = srv.aws("sts", "get-caller-identity")["Account"]
    srv.aws("organizations", "create-organization", "--feature-set", "ALL")
    audit = create_account(srv, "Audit")
    srv.add_role_profile("audit", audit)
    check(srv.aws("sts", "get-caller-identity", profile="audit")["Account"] == audit, "audit profile")
    tmp = tempfile.mkdtemp(prefix="cfn-e2e-")

    # The deployer role the key policy names must exist before the stack.
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
             "Principal": {"AWS": f"arn:aws:iam::{audit}:root"}, "Action": "sts:AssumeRole"}]}
    srv.aws("iam", "create-role", "--role-name", "pipeline-deployer",
            "--assume-role-policy-document", json.dumps(trust), profile="audit")

    # --- create-stack with the list-form parameters --------------------------------------------
    with open(os.path.join(TESTDATA, "params-list.json")) as f:
        plist = json.load(f)
    for p in plist:
        if p["ParameterKey"] == "ParamMasterAccount":
            p["ParameterValue"] = mgmt
    params_list = write_json(tmp, "params-list.json", plist)
    out = srv.aws("cloudformation", "create-stack", "--stack-name", "audit-infra",
                  "--template-body", f"file://{TEMPLATE}", "--parameters", f"file://{params_list}",
                  profile="audit", expect_error="InsufficientCapabilitiesException")
    out = srv.aws("cloudformation", "create-stack", "--stack-name", "audit-infra",
                  "--template-body", f"file://{TEMPLATE}", "--parameters", f"file://{params_list}",
                  "--capabilities", "CAPABILITY_NAMED_IAM", profile="audit")
    stack_id = out["StackId"]
    check(stack_id.startswith(f"arn:aws:cloudformation:us-east-1:{audit}:stack/audit-infra/"), f"{out}")
    srv.aws("cloudformation", "wait", "stack-create-complete", "--stack-name", "audit-infra", profile="audit")
    stack = describe_stack(srv, "audit-infra")
    check(stack["StackStatus"] == "CREATE_COMPLETE" and stack["StackId"] == stack_id, f"{stack}")
    outs = outputs_of(stack)
    check(outs.get("BucketName") == "acme-audit-cloudtrail", f"outputs: {outs}")
    check(outs.get("BucketArn") == "arn:aws:s3:::acme-audit-cloudtrail", f"outputs: {outs}")
    check(outs.get("ReadRoleArn") == f"arn:aws:iam::{audit}:role/CloudTrailLogReader", f"outputs: {outs}")
    key_id, key_arn = outs.get("KmsKeyId", ""), outs.get("KmsKeyArn", "")
    check(key_arn == f"arn:aws:kms:us-east-1:{audit}:key/{key_id}", f"outputs: {outs}")
    exported = [o for o in stack["Outputs"] if o["OutputKey"] == "KmsKeyArn"][0]
    check(exported.get("ExportName") == "audit-infra-KmsKeyArn", f"export: {exported}")
    res = srv.aws("cloudformation", "list-stack-resources", "--stack-name", "audit-infra",
                  profile="audit")["StackResourceSummaries"]
    check(sorted(r["LogicalResourceId"] for r in res) == ["Bucket", "BucketPolicy", "Key", "KeyAlias", "Role"],
          f"resources: {res}")
    check(all(r["ResourceStatus"] == "CREATE_COMPLETE" for r in res), f"resources: {res}")

    check_bucket(srv, "acme-audit-cloudtrail", key_arn, 14, 180)
    check_key_alias_role(srv, audit, key_id, key_arn, "alias/cloudtrail")
    # The stack is the audit account's: the management account sees no such stack.
    srv.aws("cloudformation", "describe-stacks", "--stack-name", "audit-infra", expect_error="does not exist")

    # --- delete: the Retain bucket survives, the rest goes ------------------------------------
    srv.aws("cloudformation", "delete-stack", "--stack-name", "audit-infra", profile="audit")
    srv.aws("cloudformation", "wait", "stack-delete-complete", "--stack-name", "audit-infra", profile="audit")
    srv.aws("s3api", "head-bucket", "--bucket", "acme-audit-cloudtrail", profile="audit")
    srv.aws("iam", "get-role", "--role-name", "CloudTrailLogReader", profile="audit", expect_error="NoSuchEntity")
    aliases = [a["AliasName"] for a in srv.aws("kms", "list-aliases", profile="audit")["Aliases"]]
    check("alias/cloudtrail" not in aliases, f"alias survived the stack: {aliases}")
    gone = srv.aws("kms", "describe-key", "--key-id", key_id, profile="audit")["KeyMetadata"]
    check(gone["KeyState"] == "PendingDeletion", f"key after delete: {gone}")

    # --- deploy with the {"Parameters": {...}} file under another name and prefix --------------
    with open(os.path.join(TESTDATA, "params.json")) as f:
        pmap = json.load(f)["Parameters"]
    pmap.update({"ParamBucketPrefix": "acme-audit2", "ParamKmsKeyAlias": "cloudtrail2", "ParamMasterAccount": mgmt})

    def deploy(overrides):
        return srv.aws("cloudformation", "deploy", "--stack-name", "audit-infra-2", "--template-file", TEMPLATE,
                       "--capabilities", "CAPABILITY_NAMED_IAM", "--no-fail-on-empty-changeset",
                       "--parameter-overrides", *[f"{k}={v}" for k, v in overrides.items()], profile="audit")

    deploy(pmap)
    stack2 = describe_stack(srv, "audit-infra-2")
    check(stack2["StackStatus"] == "CREATE_COMPLETE", f"{stack2}")
    outs2 = outputs_of(stack2)
    check(outs2.get("BucketName") == "acme-audit2-cloudtrail", f"outputs: {outs2}")
    check_bucket(srv, "acme-audit2-cloudtrail", outs2["KmsKeyArn"], 14, 180)
    role_before = check_key_alias_role(srv, audit, outs2["KmsKeyId"], outs2["KmsKeyArn"], "alias/cloudtrail2")
    res_before = {r["LogicalResourceId"]: r for r in srv.aws(
        "cloudformation", "list-stack-resources", "--stack-name", "audit-infra-2",
        profile="audit")["StackResourceSummaries"]}

    # --- update: 30 days instead of 14 changes only the lifecycle rule --------------------------
    events_before = {e["EventId"] for e in events_of(srv, "audit-infra-2")}
    pmap["ParamTransitionLogsToGlacierAfterThisManyDays"] = "30"
    deploy(pmap)
    stack2 = describe_stack(srv, "audit-infra-2")
    check(stack2["StackStatus"] == "UPDATE_COMPLETE", f"{stack2}")
    check(outputs_of(stack2) == outs2, f"outputs changed: {outputs_of(stack2)} vs {outs2}")
    check_bucket(srv, "acme-audit2-cloudtrail", outs2["KmsKeyArn"], 30, 180)
    role_after = check_key_alias_role(srv, audit, outs2["KmsKeyId"], outs2["KmsKeyArn"], "alias/cloudtrail2")
    check(role_after["RoleId"] == role_before["RoleId"], "role was replaced")
    new_events = [e for e in events_of(srv, "audit-infra-2") if e["EventId"] not in events_before]
    touched = {e["LogicalResourceId"] for e in new_events if e["LogicalResourceId"] != "audit-infra-2"}
    check(touched == {"Bucket"}, f"the update touched {touched}: {new_events}")
    res_after = {r["LogicalResourceId"]: r for r in srv.aws(
        "cloudformation", "list-stack-resources", "--stack-name", "audit-infra-2",
        profile="audit")["StackResourceSummaries"]}
    check({k: v["PhysicalResourceId"] for k, v in res_after.items()} ==
          {k: v["PhysicalResourceId"] for k, v in res_before.items()}, f"{res_after} vs {res_before}")
    # Deploying the same thing again is an empty change set, not an error.
    deploy(pmap)
    check(describe_stack(srv, "audit-infra-2")["StackStatus"] == "UPDATE_COMPLETE", "empty deploy")

    # --- the organization trail built on the stack's outputs delivers ----------------------------
    org_id = srv.aws("organizations", "describe-organization")["Organization"]["Id"]
    srv.aws("organizations", "enable-aws-service-access", "--service-principal", "cloudtrail.amazonaws.com")
    trail = srv.aws("cloudtrail", "create-trail", "--name", "cfn-org-trail", "--s3-bucket-name", outs2["BucketName"],
                    "--is-organization-trail", "--is-multi-region-trail", "--enable-log-file-validation",
                    "--kms-key-id", outs2["KmsKeyArn"])
    check(trail.get("KmsKeyId") == outs2["KmsKeyArn"], f"{trail}")
    srv.aws("cloudtrail", "start-logging", "--name", "cfn-org-trail")
    marker = srv.aws("kms", "list-keys", profile="audit")  # activity in the audit account
    check("Keys" in marker, f"{marker}")
    prefix = f"AWSLogs/{org_id}/{audit}/CloudTrail/us-east-1/"
    deadline = time.time() + 60
    names = set()
    while not {"ListKeys"} <= names:
        check(time.time() < deadline, f"no ListKeys delivered under {prefix}: {names}")
        time.sleep(0.5)
        listed = srv.aws("s3api", "list-objects-v2", "--bucket", outs2["BucketName"], "--prefix", prefix,
                         profile="audit").get("Contents", [])
        for o in listed:
            path = os.path.join(tmp, "log.json.gz")
            head = srv.aws("s3api", "get-object", "--bucket", outs2["BucketName"], "--key", o["Key"], path,
                           profile="audit")
            check(head.get("ServerSideEncryption") == "aws:kms" and head.get("SSEKMSKeyId") == outs2["KmsKeyArn"],
                  f"log file not encrypted with the stack's key: {head}")
            with gzip.open(path, "rb") as f:
                for r in json.loads(f.read())["Records"]:
                    check(r["recipientAccountId"] == audit, f"{o['Key']}: {r['recipientAccountId']}")
                    names.add(r["eventName"])
    status = srv.aws("cloudtrail", "get-trail-status", "--name", "cfn-org-trail")
    check(status["IsLogging"] and not status.get("LatestDeliveryError"), f"{status}")
    srv.aws("cloudtrail", "delete-trail", "--name", "cfn-org-trail")

    # --- a broken template rolls back and names the failing resource ----------------------------
    broken = os.path.join(tmp, "broken.yaml")
    with open(broken, "w") as f:
        f.write(BROKEN)
    srv.aws("cloudformation", "create-stack", "--stack-name", "broken", "--template-body", f"file://{broken}",
            profile="audit")
    srv.aws("cloudformation", "wait", "stack-create-complete", "--stack-name", "broken", profile="audit",
            expect_error="ROLLBACK_COMPLETE")
    bstack = describe_stack(srv, "broken")
    check(bstack["StackStatus"] == "ROLLBACK_COMPLETE", f"{bstack}")
    failed = [e for e in events_of(srv, "broken") if e["ResourceStatus"] == "CREATE_FAILED"]
    check(any(e["LogicalResourceId"] == "BadBucket" and e.get("ResourceStatusReason") for e in failed),
          f"failure events: {failed}")
    check("BadBucket" in bstack.get("StackStatusReason", "") or failed, f"{bstack}")
    rolled = {e["LogicalResourceId"]: e["ResourceStatus"] for e in reversed(events_of(srv, "broken"))}
    check(rolled.get("GoodKey") == "DELETE_COMPLETE", f"GoodKey not rolled back: {rolled}")
    srv.aws("s3api", "head-bucket", "--bucket", "not-a-valid-bucket-name", profile="audit", expect_error="404")
    srv.aws("cloudformation", "delete-stack", "--stack-name", "broken", profile="audit")

    # --- delete keeps the retained bucket ---------------------------------------------------------
    srv.aws("cloudformation", "delete-stack", "--stack-name", "audit-infra-2", profile="audit")
    srv.aws("cloudformation", "wait", "stack-delete-complete", "--stack-name", "audit-infra-2", profile="audit")
    check_bucket(srv, "acme-audit2-cloudtrail", outs2["KmsKeyArn"], 30, 180, policy=False)
    srv.aws("iam", "get-role", "--role-name", "CloudTrailLogReader", profile="audit", expect_error="NoSuchEntity")
    deleted = srv.aws("cloudformation", "list-stacks", "--stack-status-filter", "DELETE_COMPLETE",
                      profile="audit")["StackSummaries"]
    check({"audit-infra", "audit-infra-2"} <= {s["StackName"] for s in deleted}, f"list-stacks: {deleted}")
    srv.aws("cloudformation", "describe-stacks", "--stack-name", "audit-infra-2", profile="audit",
            expect_error="does not exist")


if __name__ == "__main__":
    run(cloudformation, "--delivery-interval", "1s")
