"""The README walkthrough, end to end, with the stock AWS CLI and boto3:
organization and accounts, role assumption into Audit, the Audit account's KMS key, IAM role and
bucket (policy, versioning, SSE-KMS default encryption, lifecycle), objects, and isolation of Dev.
"""
import json
import os
import tempfile

from harness import check, run


def create_account(srv, name):
    st = srv.aws("organizations", "create-account", "--email", f"{name.lower()}@example.com",
                 "--account-name", name)["CreateAccountStatus"]
    for _ in range(50):
        st = srv.aws("organizations", "describe-create-account-status",
                     "--create-account-request-id", st["Id"])["CreateAccountStatus"]
        if st["State"] == "SUCCEEDED":
            return st["AccountId"]
        check(st["State"] == "IN_PROGRESS", f"account creation failed: {st}")
    raise AssertionError("account creation never finished")


def walkthrough(srv):
    me = srv.aws("sts", "get-caller-identity")
    mgmt = me["Account"]
    check(len(mgmt) == 12 and mgmt.isdigit(), f"bad account {me}")
    check(me["Arn"] == f"arn:aws:iam::{mgmt}:root", f"bootstrap identity is not root: {me}")

    org = srv.aws("organizations", "create-organization", "--feature-set", "ALL")["Organization"]
    check(org["Id"].startswith("o-") and len(org["Id"]) == 12, f"bad org id {org}")
    check(org["MasterAccountId"] == mgmt and org["FeatureSet"] == "ALL", f"bad org {org}")
    srv.aws("organizations", "create-organization", expect_error="AlreadyInOrganizationException")

    ids = {name: create_account(srv, name) for name in ("Audit", "Dev", "Prod")}
    listed = {a["Id"]: a["Name"] for a in srv.aws("organizations", "list-accounts")["Accounts"]}
    for name, acct in ids.items():
        check(listed.get(acct) == name, f"{name} missing from list-accounts: {listed}")
    check(mgmt in listed, "management account missing from list-accounts")
    desc = srv.aws("organizations", "describe-account", "--account-id", ids["Audit"])["Account"]
    check(desc["Name"] == "Audit" and desc["Status"] == "ACTIVE", f"describe-account: {desc}")

    srv.aws("organizations", "enable-aws-service-access", "--service-principal", "cloudtrail.amazonaws.com")
    enabled = srv.aws("organizations", "list-aws-service-access-for-organization")["EnabledServicePrincipals"]
    check(any(e["ServicePrincipal"] == "cloudtrail.amazonaws.com" for e in enabled), f"{enabled}")

    for name in ("audit", "dev"):
        srv.add_role_profile(name, ids[name.capitalize()])
    who = srv.aws("sts", "get-caller-identity", profile="audit")
    check(who["Account"] == ids["Audit"], f"assume-role landed in the wrong account: {who}")
    check(":assumed-role/OrganizationAccountAccessRole/" in who["Arn"], f"{who}")
    # A member account cannot create accounts.
    srv.aws("organizations", "create-account", "--email", "x@example.com", "--account-name", "X",
            profile="audit", expect_error="AccessDenied")

    audit = ids["Audit"]
    # KMS key, alias and key policy in Audit.
    key = srv.aws("kms", "create-key", "--description", "org trail key", profile="audit")["KeyMetadata"]
    check(key["Arn"].startswith(f"arn:aws:kms:us-east-1:{audit}:key/"), f"key arn {key}")
    srv.aws("kms", "create-alias", "--alias-name", "alias/org-trail", "--target-key-id", key["KeyId"], profile="audit")
    aliases = srv.aws("kms", "list-aliases", profile="audit")["Aliases"]
    check(any(a["AliasName"] == "alias/org-trail" and a.get("TargetKeyId") == key["KeyId"] for a in aliases), f"{aliases}")
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{audit}:root"},
             "Action": "kms:*", "Resource": "*"},
            {"Sid": "CloudTrailEncrypt", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
             "Action": "kms:GenerateDataKey*", "Resource": "*",
             "Condition": {"StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{mgmt}:trail/*"}}},
            {"Sid": "Describe", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
             "Action": "kms:DescribeKey", "Resource": "*"},
        ],
    }
    srv.aws("kms", "put-key-policy", "--key-id", key["KeyId"], "--policy-name", "default",
            "--policy", json.dumps(policy), profile="audit")
    got = json.loads(srv.aws("kms", "get-key-policy", "--key-id", "alias/org-trail", "--policy-name", "default",
                             profile="audit")["Policy"])
    check(got["Statement"][1]["Sid"] == "CloudTrailEncrypt", f"key policy not stored: {got}")
    described = srv.aws("kms", "describe-key", "--key-id", "alias/org-trail", profile="audit")["KeyMetadata"]
    check(described["KeyId"] == key["KeyId"] and described["Enabled"], f"{described}")

    # IAM role with trust and inline policy in Audit.
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{audit}:root", mgmt]}, "Action": "sts:AssumeRole"}]}
    role = srv.aws("iam", "create-role", "--role-name", "CloudTrailReader",
                   "--assume-role-policy-document", json.dumps(trust), profile="audit")["Role"]
    check(role["Arn"] == f"arn:aws:iam::{audit}:role/CloudTrailReader", f"{role}")
    srv.aws("iam", "put-role-policy", "--role-name", "CloudTrailReader", "--policy-name", "decrypt",
            "--policy-document", json.dumps({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}), profile="audit")
    names = srv.aws("iam", "list-role-policies", "--role-name", "CloudTrailReader", profile="audit")["PolicyNames"]
    check(names == ["decrypt"], f"{names}")
    got_role = srv.aws("iam", "get-role", "--role-name", "CloudTrailReader", profile="audit")["Role"]
    check(got_role["AssumeRolePolicyDocument"]["Statement"][0]["Action"] == "sts:AssumeRole", f"{got_role}")

    # The bucket: policy, versioning, default SSE-KMS, lifecycle.
    bucket = "acme-org-cloudtrail"
    srv.aws("s3api", "create-bucket", "--bucket", bucket, profile="audit")
    loc = srv.aws("s3api", "get-bucket-location", "--bucket", bucket, profile="audit")
    check(loc.get("LocationConstraint") in (None, ""), f"us-east-1 bucket location: {loc}")
    bucket_policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "AWSCloudTrailAclCheck20131101", "Effect": "Allow",
         "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:GetBucketAcl",
         "Resource": f"arn:aws:s3:::{bucket}"},
        {"Sid": "AWSCloudTrailWrite20131101", "Effect": "Allow",
         "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:PutObject",
         "Resource": f"arn:aws:s3:::{bucket}/AWSLogs/*",
         "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}}]}
    srv.aws("s3api", "put-bucket-policy", "--bucket", bucket, "--policy", json.dumps(bucket_policy), profile="audit")
    got_policy = json.loads(srv.aws("s3api", "get-bucket-policy", "--bucket", bucket, profile="audit")["Policy"])
    check(got_policy["Statement"][1]["Sid"] == "AWSCloudTrailWrite20131101", f"{got_policy}")
    srv.aws("s3api", "put-bucket-versioning", "--bucket", bucket, "--versioning-configuration", "Status=Enabled", profile="audit")
    check(srv.aws("s3api", "get-bucket-versioning", "--bucket", bucket, profile="audit").get("Status") == "Enabled", "versioning")
    enc = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key["Arn"]}}]}
    srv.aws("s3api", "put-bucket-encryption", "--bucket", bucket, "--server-side-encryption-configuration",
            json.dumps(enc), profile="audit")
    got_enc = srv.aws("s3api", "get-bucket-encryption", "--bucket", bucket, profile="audit")
    rule = got_enc["ServerSideEncryptionConfiguration"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]
    check(rule["SSEAlgorithm"] == "aws:kms" and rule["KMSMasterKeyID"] == key["Arn"], f"{got_enc}")
    lifecycle = {"Rules": [
        {"ID": "to-glacier", "Status": "Enabled", "Filter": {"Prefix": ""},
         "Transitions": [{"Days": 14, "StorageClass": "GLACIER"}],
         "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}},
        {"ID": "expire", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 180}}]}
    srv.aws("s3api", "put-bucket-lifecycle-configuration", "--bucket", bucket, "--lifecycle-configuration",
            json.dumps(lifecycle), profile="audit")
    got_lc = srv.aws("s3api", "get-bucket-lifecycle-configuration", "--bucket", bucket, profile="audit")["Rules"]
    by_id = {r["ID"]: r for r in got_lc}
    check(by_id["to-glacier"]["Transitions"][0] == {"Days": 14, "StorageClass": "GLACIER"}, f"{got_lc}")
    check(by_id["expire"]["Expiration"]["Days"] == 180, f"{got_lc}")

    # Objects: put, list v1/v2 with prefix and delimiter, get, head, delete.
    tmp = tempfile.mkdtemp()
    body_path = os.path.join(tmp, "body")
    payload = os.urandom(3000)
    with open(body_path, "wb") as f:
        f.write(payload)
    keys = ["AWSLogs/o-x/111111111111/CloudTrail/us-east-1/2026/11/26/a.json.gz",
            "AWSLogs/o-x/111111111111/CloudTrail/us-east-1/2026/11/26/b.json.gz",
            "AWSLogs/o-x/222222222222/CloudTrail/eu-west-1/2026/11/26/c.json.gz",
            "notes/readme with space+plus.txt"]
    for k in keys:
        put = srv.aws("s3api", "put-object", "--bucket", bucket, "--key", k, "--body", body_path, profile="audit")
        check(put.get("ServerSideEncryption") == "aws:kms" and put.get("SSEKMSKeyId") == key["Arn"], f"put sse: {put}")
        check(put.get("VersionId"), f"versioned put returns a version: {put}")
    v1 = srv.aws("s3api", "list-objects", "--bucket", bucket, "--prefix", "AWSLogs/o-x/", "--delimiter", "/", profile="audit")
    prefixes = [p["Prefix"] for p in v1.get("CommonPrefixes", [])]
    check(prefixes == ["AWSLogs/o-x/111111111111/", "AWSLogs/o-x/222222222222/"], f"v1 delimiter: {v1}")
    v2 = srv.aws("s3api", "list-objects-v2", "--bucket", bucket, "--prefix", "AWSLogs/", profile="audit")
    check([o["Key"] for o in v2["Contents"]] == keys[:3], f"v2 prefix listing: {v2}")
    paged = srv.aws("s3api", "list-objects-v2", "--bucket", bucket, "--page-size", "1", profile="audit")
    check([o["Key"] for o in paged["Contents"]] == sorted(keys), f"paged v2: {paged}")
    paged1 = srv.aws("s3api", "list-objects", "--bucket", bucket, "--page-size", "1", profile="audit")
    check([o["Key"] for o in paged1["Contents"]] == sorted(keys), f"paged v1: {paged1}")
    out_path = os.path.join(tmp, "out")
    got = srv.aws("s3api", "get-object", "--bucket", bucket, "--key", keys[3], out_path, profile="audit")
    with open(out_path, "rb") as f:
        check(f.read() == payload, "get-object returned different bytes")
    check(got.get("ServerSideEncryption") == "aws:kms", f"{got}")
    head = srv.aws("s3api", "head-object", "--bucket", bucket, "--key", keys[0], profile="audit")
    check(head["ContentLength"] == len(payload), f"head {head}")
    srv.aws("s3api", "delete-object", "--bucket", bucket, "--key", keys[3], profile="audit")
    srv.aws("s3api", "head-object", "--bucket", bucket, "--key", keys[3], profile="audit", expect_error="404")
    versions = srv.aws("s3api", "list-object-versions", "--bucket", bucket, "--prefix", "notes/", profile="audit")
    check(len(versions.get("DeleteMarkers", [])) == 1 and len(versions.get("Versions", [])) == 1, f"{versions}")

    # The same through boto3 (ranged read, metadata).
    s3 = srv.boto3_session("audit").client("s3")
    s3.put_object(Bucket=bucket, Key="boto/obj", Body=b"0123456789", Metadata={"Owner": "audit"})
    r = s3.get_object(Bucket=bucket, Key="boto/obj", Range="bytes=2-5")
    check(r["Body"].read() == b"2345" and r["ContentRange"] == "bytes 2-5/10", f"range {r}")
    raw = s3.list_objects_v2(Bucket=bucket, Prefix="AWSLogs/", MaxKeys=2)
    check(raw["KeyCount"] == 2 and raw["IsTruncated"] and raw.get("NextContinuationToken"), f"v2 page: {raw}")
    rest = s3.list_objects_v2(Bucket=bucket, Prefix="AWSLogs/", ContinuationToken=raw["NextContinuationToken"])
    check([o["Key"] for o in rest["Contents"]] == keys[2:3] and rest["KeyCount"] == 1, f"v2 second page: {rest}")
    h = s3.head_object(Bucket=bucket, Key="boto/obj")
    check(h["Metadata"] == {"owner": "audit"}, f"metadata {h['Metadata']}")
    kms = srv.boto3_session("audit").client("kms")
    ct = kms.encrypt(KeyId="alias/org-trail", Plaintext=b"secret", EncryptionContext={"a": "b"})["CiphertextBlob"]
    check(kms.decrypt(CiphertextBlob=ct, EncryptionContext={"a": "b"})["Plaintext"] == b"secret", "kms round trip")

    # Dev cannot see Audit's bucket or key.
    srv.aws("sts", "get-caller-identity", profile="dev")
    srv.aws("s3api", "list-objects-v2", "--bucket", bucket, profile="dev", expect_error="AccessDenied")
    srv.aws("s3api", "get-object", "--bucket", bucket, "--key", keys[0], os.path.join(tmp, "x"), profile="dev",
            expect_error="AccessDenied")
    srv.aws("s3api", "put-object", "--bucket", bucket, "--key", "AWSLogs/evil", "--body", body_path,
            profile="dev", expect_error="AccessDenied")
    srv.aws("s3api", "delete-bucket-policy", "--bucket", bucket, profile="dev", expect_error="AccessDenied")
    check(bucket not in [b["Name"] for b in srv.aws("s3api", "list-buckets", profile="dev").get("Buckets", [])],
          "Dev lists Audit's bucket")
    srv.aws("kms", "describe-key", "--key-id", key["Arn"], profile="dev", expect_error="AccessDenied")
    srv.aws("kms", "decrypt", "--ciphertext-blob", "fileb://" + body_path, profile="dev", expect_error="Exception")
    check(not any(k["KeyId"] == key["KeyId"] for k in srv.aws("kms", "list-keys", profile="dev")["Keys"]),
          "Dev lists Audit's key")
    # Audit's data is intact after Dev's attempts.
    check(srv.aws("s3api", "get-bucket-policy", "--bucket", bucket, profile="audit")["Policy"], "policy survived")


if __name__ == "__main__":
    run(walkthrough)
