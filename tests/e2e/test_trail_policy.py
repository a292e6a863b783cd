"""Trail policies with the stock AWS CLI and `orgtrail trail-policy`: the Audit account's bucket
and key (test_org_trail.audit_infrastructure); CreateTrail refused with
InsufficientS3BucketPolicyException / InsufficientEncryptionPolicyException naming the missing
statement when the write or GenerateDataKey statement is removed; `orgtrail trail-policy` prints
policies that make the trail creatable, and `--check` reports each gap over the API, including the
read role that can decrypt but has no s3:GetObject."""
import json
import os
import subprocess

from harness import check, run
from test_org_trail import audit_infrastructure
from test_walkthrough import create_account

ORGTRAIL_CLI = os.environ.get("ORGTRAIL_CLI", "orgtrail")


def cli(srv, *args):
    p = subprocess.run([ORGTRAIL_CLI, "trail-policy", *args], env=srv.cli_env(), capture_output=True,
                       text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def trail_policy(srv):
    mgmt = srv.aws("sts", "get-caller-identity")["Account"]
    org_id = srv.aws("organizations", "create-organization", "--feature-set", "ALL")["Organization"]["Id"]
    audit = create_account(srv, "Audit")
    srv.add_role_profile("audit", audit)
    key_arn, bucket, trail_arn = audit_infrastructure(srv, mgmt, org_id, audit)
    srv.aws("organizations", "enable-aws-service-access", "--service-principal", "cloudtrail.amazonaws.com")
    good_bucket = json.loads(srv.aws("s3api", "get-bucket-policy", "--bucket", bucket, profile="audit")["Policy"])
    good_key = json.loads(srv.aws("kms", "get-key-policy", "--key-id", key_arn, "--policy-name", "default",
                                  profile="audit")["Policy"])
    create = ("cloudtrail", "create-trail", "--name", "org-trail", "--s3-bucket-name", bucket,
              "--is-organization-trail", "--is-multi-region-trail", "--kms-key-id", key_arn)
    base = ["--trail-name", "org-trail", "--management-account", mgmt, "--organization-id", org_id,
            "--bucket", bucket, "--kms-key-arn", key_arn]
    check_args = base + ["--check", "--profile", "audit", "--endpoint-url", srv.endpoint]

    # The policies as written pass the pre-flight and the check.
    rc, out, err = cli(srv, *check_args)
    check(rc == 0 and "OK" in out, f"check of good policies: rc={rc}\n{out}\n{err}")

    # Without the organization write statement: refused, naming the permission and the path.
    no_write = dict(good_bucket, Statement=[s for s in good_bucket["Statement"]
                                            if s["Sid"] != "AWSCloudTrailOrganizationWrite20150319"])
    srv.aws("s3api", "put-bucket-policy", "--bucket", bucket, "--policy", json.dumps(no_write), profile="audit")
    err = srv.aws(*create, expect_error="InsufficientS3BucketPolicyException")
    check(f"s3:PutObject on arn:aws:s3:::{bucket}/AWSLogs/{org_id}/*" in err and "cloudtrail.amazonaws.com" in err,
          f"message does not name the missing permission: {err}")
    rc, out, _ = cli(srv, *check_args)
    check(rc == 1 and f"GAP  bucket policy: cloudtrail.amazonaws.com needs s3:PutObject on "
                      f"arn:aws:s3:::{bucket}/AWSLogs/{org_id}/*" in out, f"check: rc={rc}\n{out}")
    srv.aws("s3api", "put-bucket-policy", "--bucket", bucket, "--policy", json.dumps(good_bucket), profile="audit")

    # Without GenerateDataKey in the key policy: refused, naming it.
    no_gen = dict(good_key, Statement=[s for s in good_key["Statement"] if s["Sid"] != "CloudTrailEncrypt"])
    srv.aws("kms", "put-key-policy", "--key-id", key_arn, "--policy-name", "default",
            "--policy", json.dumps(no_gen), profile="audit")
    err = srv.aws(*create, expect_error="InsufficientEncryptionPolicyException")
    check(f"kms:GenerateDataKey on {key_arn}" in err and "no statement in the key policy" in err,
          f"message does not name GenerateDataKey: {err}")
    rc, out, _ = cli(srv, *check_args)
    check(rc == 1 and "GAP  key policy" in out and "kms:GenerateDataKey" in out, f"check: rc={rc}\n{out}")

    # The printed key statements, added to the key policy, make the trail creatable.
    rc, stmts, err = cli(srv, *base, "--only", "key-statements")
    check(rc == 0, f"print: {err}")
    fixed = dict(no_gen, Statement=no_gen["Statement"] + json.loads(stmts))
    srv.aws("kms", "put-key-policy", "--key-id", key_arn, "--policy-name", "default",
            "--policy", json.dumps(fixed), profile="audit")
    # ...and so does the printed bucket policy on its own.
    rc, bpol, err = cli(srv, *base, "--only", "bucket-policy")
    check(rc == 0, f"print: {err}")
    srv.aws("s3api", "put-bucket-policy", "--bucket", bucket, "--policy", bpol, profile="audit")
    trail = srv.aws(*create)
    check(trail["TrailARN"] == trail_arn, f"{trail}")

    # A read role as the reference template makes it: kms:Decrypt, no s3:GetObject.
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{audit}:root"},
                                                     "Action": "sts:AssumeRole"}]}
    role = srv.aws("iam", "create-role", "--role-name", "CloudTrailLogReader",
                   "--assume-role-policy-document", json.dumps(trust), profile="audit")["Role"]
    srv.aws("iam", "put-role-policy", "--role-name", "CloudTrailLogReader", "--policy-name", "DecryptLogs",
            "--policy-document", json.dumps({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}), profile="audit")
    key_policy = json.loads(srv.aws("kms", "get-key-policy", "--key-id", key_arn, "--policy-name", "default",
                                    profile="audit")["Policy"])
    key_policy["Statement"].append({"Sid": "ReaderDecrypts", "Effect": "Allow", "Principal": {"AWS": role["Arn"]},
                                    "Action": "kms:Decrypt", "Resource": "*"})
    srv.aws("kms", "put-key-policy", "--key-id", key_arn, "--policy-name", "default",
            "--policy", json.dumps(key_policy), profile="audit")
    rc, out, _ = cli(srv, *check_args, "--reader-role-arn", role["Arn"])
    check(rc == 1 and f"role {role['Arn']} can decrypt the trail's logs but cannot read them: no s3:GetObject on "
                      f"arn:aws:s3:::{bucket}/AWSLogs/{org_id}/*" in out, f"reader check: rc={rc}\n{out}")
    # The fix comes as a customer managed policy attached to the role: the check reads those too.
    read_logs = srv.aws("iam", "create-policy", "--policy-name", "ReadLogs", "--policy-document", json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/AWSLogs/*"}]}),
        profile="audit")["Policy"]
    srv.aws("iam", "attach-role-policy", "--role-name", "CloudTrailLogReader", "--policy-arn", read_logs["Arn"],
            profile="audit")
    rc, out, _ = cli(srv, *check_args, "--reader-role-arn", role["Arn"])
    check(rc == 0 and "can read and decrypt the trail's logs" in out, f"reader check after fix: rc={rc}\n{out}")


if __name__ == "__main__":
    run(trail_policy)
