"""S3 Object Lock with the stock AWS CLI on `orgtraild --simulated-clock`: a bucket created with
--object-lock-enabled-for-bucket is versioned for good, takes a default retention, keeps a
COMPLIANCE version against delete-object --version-id (even with the governance bypass), lets a
GOVERNANCE version go only with --bypass-governance-retention, holds a version under legal hold
until it is switched OFF, and lifecycle noncurrent expiry skips a locked version until its
retention has ended."""
import json
import time

from harness import check, run
from test_lifecycle import advance

BUCKET = "audit-worm"
DAY = 86400


def iso(unix_seconds):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(unix_seconds))


def put(srv, key, *extra):
    out = srv.aws("s3api", "put-object", "--bucket", BUCKET, "--key", key, "--body", __file__, *extra)
    check(out.get("VersionId"), f"no version id: {out}")
    return out["VersionId"]


def versions_of(srv, key):
    out = srv.aws("s3api", "list-object-versions", "--bucket", BUCKET, "--prefix", key)
    return {v["VersionId"] for v in out.get("Versions", []) if v["Key"] == key}


def object_lock(srv):
    now = advance(srv, seconds=1)["unixSeconds"]
    srv.aws("s3api", "create-bucket", "--bucket", "plain-bucket")
    srv.aws("s3api", "get-object-lock-configuration", "--bucket", "plain-bucket",
            expect_error="ObjectLockConfigurationNotFoundError")
    srv.aws("s3api", "put-object", "--bucket", "plain-bucket", "--key", "k", "--body", __file__,
            "--object-lock-mode", "GOVERNANCE", "--object-lock-retain-until-date", iso(now + DAY),
            expect_error="InvalidRequest")

    srv.aws("s3api", "create-bucket", "--bucket", BUCKET, "--object-lock-enabled-for-bucket")
    v = srv.aws("s3api", "get-bucket-versioning", "--bucket", BUCKET)
    check(v.get("Status") == "Enabled", f"versioning {v}")
    srv.aws("s3api", "put-bucket-versioning", "--bucket", BUCKET,
            "--versioning-configuration", "Status=Suspended", expect_error="InvalidBucketState")

    # Default retention: GOVERNANCE for 1 day.
    srv.aws("s3api", "put-object-lock-configuration", "--bucket", BUCKET, "--object-lock-configuration",
            json.dumps({"ObjectLockEnabled": "Enabled",
                        "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}}))
    cfg = srv.aws("s3api", "get-object-lock-configuration", "--bucket", BUCKET)["ObjectLockConfiguration"]
    check(cfg["Rule"]["DefaultRetention"] == {"Mode": "GOVERNANCE", "Days": 1}, f"config {cfg}")
    dflt = put(srv, "default.txt")
    head = srv.aws("s3api", "head-object", "--bucket", BUCKET, "--key", "default.txt")
    check(head.get("ObjectLockMode") == "GOVERNANCE" and head.get("ObjectLockRetainUntilDate"), f"head {head}")

    # COMPLIANCE: nobody deletes the version or shortens the retention.
    comp = put(srv, "comp.txt", "--object-lock-mode", "COMPLIANCE",
               "--object-lock-retain-until-date", iso(now + 10 * DAY))
    srv.aws("s3api", "delete-object", "--bucket", BUCKET, "--key", "comp.txt", "--version-id", comp,
            expect_error="AccessDenied")
    srv.aws("s3api", "delete-object", "--bucket", BUCKET, "--key", "comp.txt", "--version-id", comp,
            "--bypass-governance-retention", expect_error="AccessDenied")
    srv.aws("s3api", "put-object-retention", "--bucket", BUCKET, "--key", "comp.txt", "--version-id", comp,
            "--retention", json.dumps({"Mode": "COMPLIANCE", "RetainUntilDate": iso(now + DAY)}),
            "--bypass-governance-retention", expect_error="AccessDenied")
    r = srv.aws("s3api", "get-object-retention", "--bucket", BUCKET, "--key", "comp.txt", "--version-id", comp)
    check(r["Retention"]["Mode"] == "COMPLIANCE", f"retention {r}")
    # A delete without version id only adds a delete marker.
    d = srv.aws("s3api", "delete-object", "--bucket", BUCKET, "--key", "comp.txt")
    check(d.get("DeleteMarker") is True, f"delete {d}")
    check(comp in versions_of(srv, "comp.txt"), "the COMPLIANCE version is gone")

    # GOVERNANCE: the bypass header (the management root may bypass) lets it go.
    srv.aws("s3api", "delete-object", "--bucket", BUCKET, "--key", "default.txt", "--version-id", dflt,
            expect_error="AccessDenied")
    srv.aws("s3api", "delete-object", "--bucket", BUCKET, "--key", "default.txt", "--version-id", dflt,
            "--bypass-governance-retention")
    check(dflt not in versions_of(srv, "default.txt"), "the GOVERNANCE version survived the bypass")

    # Legal hold blocks until OFF.
    held = put(srv, "held.txt", "--object-lock-legal-hold-status", "ON")
    srv.aws("s3api", "put-object-retention", "--bucket", BUCKET, "--key", "held.txt", "--version-id", held,
            "--retention", "{}", "--bypass-governance-retention")
    srv.aws("s3api", "delete-object", "--bucket", BUCKET, "--key", "held.txt", "--version-id", held,
            "--bypass-governance-retention", expect_error="AccessDenied")
    lh = srv.aws("s3api", "get-object-legal-hold", "--bucket", BUCKET, "--key", "held.txt")
    check(lh["LegalHold"]["Status"] == "ON", f"legal hold {lh}")
    srv.aws("s3api", "put-object-legal-hold", "--bucket", BUCKET, "--key", "held.txt", "--version-id", held,
            "--legal-hold", "Status=OFF")
    srv.aws("s3api", "delete-object", "--bucket", BUCKET, "--key", "held.txt", "--version-id", held)

    # Lifecycle: noncurrent versions expire after 1 day, but the COMPLIANCE version (noncurrent
    # since the delete marker) stays until its retention ends at day 10.
    srv.aws("s3api", "put-bucket-lifecycle-configuration", "--bucket", BUCKET, "--lifecycle-configuration",
            json.dumps({"Rules": [{"ID": "noncurrent", "Status": "Enabled", "Filter": {"Prefix": ""},
                                   "NoncurrentVersionExpiration": {"NoncurrentDays": 1}}]}))
    advance(srv, days=3)
    check(comp in versions_of(srv, "comp.txt"), "lifecycle removed a version under COMPLIANCE retention")
    advance(srv, days=9)
    check(comp not in versions_of(srv, "comp.txt"), "lifecycle did not expire the version after its retention")


if __name__ == "__main__":
    run(object_lock, "--simulated-clock")
