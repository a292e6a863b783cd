"""Tamper matrix (issue 4): an organization trail with log file validation, activity in Dev and Prod
in two regions over many digest periods, across a restart of orgtraild (a second run on the same data
directory) and across signing-key rotations (--signing-key-rotation 20s); then StopLogging.

The untouched bucket validates clean with the stock `aws cloudtrail validate-logs` (AWS CLI v1, every
account and region), with Debian's AWS CLI 2.9 (package `awscli`, run through tests/e2e/aws_v2.py;
the test fails when it is not installed: scripts/install-deps.sh installs it) and with `orgtrail validate-logs` (whole organization, one run). Then each tamper case
is applied, checked against both validators, and undone by the Audit account (the bucket owner) by
putting the original bytes and metadata back, so every case starts from the untouched situation.
Where the stock CLI does not detect a case by design (a forged log file, the newest digest deleted),
the test asserts what it really prints (docs/validation.md)."""
import datetime
import gzip
import json
import os
import random
import subprocess
import sys
import time

from harness import check, run
from test_org_trail import REGIONS
from test_validate_logs import (iso, listed_in_digests, objects, orgtrail_validate, ratio, stock_validate,
                                validated_org_trail)

HERE = os.path.dirname(os.path.abspath(__file__))


def round_of_activity(srv, profiles, n):
    for p in profiles:
        for region in REGIONS:
            srv.aws("--region", region, "kms", "list-keys", profile=p)
            if n % 3 == 0:
                srv.aws("--region", region, "kms", "create-key", "--description", f"{p}-{region}-{n}", profile=p)


def digest_fingerprints(s3, bucket, keys):
    fps = []
    for k in keys:
        d = json.loads(gzip.decompress(s3.get_object(Bucket=bucket, Key=k)["Body"].read()))
        fps.append(d["digestPublicKeyFingerprint"])
    return fps


def v2_validate(srv, trail_arn, start, acct, region):
    """Debian's AWS CLI 2.9 through tests/e2e/aws_v2.py (its S3 and Organizations clients pointed at us)."""
    env = srv.cli_env()
    cmd = [sys.executable, os.path.join(HERE, "aws_v2.py"), "--endpoint", srv.endpoint, "--",
           "--profile", "management", "cloudtrail", "validate-logs", "--trail-arn", trail_arn,
           "--start-time", start, "--account-id", acct, "--region", region, "--verbose"]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


class Snapshot:
    """The bytes and user metadata of objects before a case, put back by the bucket owner after it."""

    def __init__(self, s3, bucket):
        self.s3, self.bucket, self.saved, self.created = s3, bucket, {}, []

    def save(self, key):
        o = self.s3.get_object(Bucket=self.bucket, Key=key)
        self.saved[key] = (o["Body"].read(), o.get("Metadata", {}))
        return self.saved[key][0]

    def created_key(self, key):
        self.created.append(key)

    def restore(self):
        for key, (body, meta) in self.saved.items():
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=body, Metadata=meta)
        for key in self.created:
            self.s3.delete_object(Bucket=self.bucket, Key=key)
        self.saved, self.created = {}, []


def signing_string(d, sha256_hex):
    prev = d.get("previousDigestSignature") or "null"
    return f"{d['digestEndTime']}\n{d['digestS3Bucket']}/{d['digestS3Object']}\n{sha256_hex}\n{prev}"


def foreign_sign(body_json, fingerprint_too):
    """Re-signs a digest with an RSA key that is not the trail's (python `cryptography`)."""
    import hashlib
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    d = json.loads(body_json)
    if fingerprint_too:
        der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
        d["digestPublicKeyFingerprint"] = hashlib.md5(der).hexdigest()
    raw = json.dumps(d).encode()
    sig = key.sign(signing_string(d, hashlib.sha256(raw).hexdigest()).encode(), padding.PKCS1v15(),
                   hashes.SHA256())
    return gzip.compress(raw), {"signature": sig.hex(), "signature-algorithm": "SHA256withRSA"}


def covered_minute_key(digests, acct, region):
    """A log file key (below the chain's folder, '%010d' left for a random part) dated in a whole
    minute that consecutive digests of the chain cover without a gap of more than a second."""
    def t(s):
        return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ")
    spans = []
    for d in sorted(digests.values(), key=lambda d: d["digestStartTime"]):
        a, b = t(d["digestStartTime"]), t(d["digestEndTime"])
        if spans and a <= spans[-1][1] + datetime.timedelta(seconds=1):
            spans[-1][1] = max(spans[-1][1], b)
        else:
            spans.append([a, b])
    minutes = []
    for a, b in spans:
        m = a.replace(second=0) + (datetime.timedelta(minutes=1) if a.second else datetime.timedelta())
        while m + datetime.timedelta(minutes=1) <= b:
            minutes.append(m)
            m += datetime.timedelta(minutes=1)
    check(minutes, f"no whole minute covered by the digests: {spans}")
    m = minutes[len(minutes) // 2]
    return m.strftime("%Y/%m/%d/") + f"{acct}_CloudTrail_{region}_" + m.strftime("%Y%m%dT%H%MZ") + \
        "_F0rGeD%010d.json.gz"


def tamper_matrix(srv):
    start = iso(datetime.datetime.utcnow() - datetime.timedelta(minutes=2))
    _, org_id, ids, _, bucket, trail_arn = validated_org_trail(srv)

    # Activity over ~2 minutes (many 2 s digest periods; at least one whole minute inside every
    # chain, so a forged log file can be dated inside a covered minute), with a restart of orgtraild
    # in the middle. Keys rotate every 20 s.
    t0 = time.time()
    n = 0
    restarted = False
    while time.time() - t0 < 125:
        round_of_activity(srv, ("dev", "prod"), n)
        n += 1
        if not restarted and time.time() - t0 > 60:
            check(srv.stop() == 0, "orgtraild did not stop cleanly")
            srv.start()  # same data dir and port: the second run continues the chains
            for name in ids:  # the second run rewrote the CLI config it writes on start
                srv.add_role_profile(name.lower(), ids[name])
            restarted = True
        time.sleep(1)
    check(restarted, "no restart")

    s3 = srv.boto3_session("audit").client("s3")
    chains = [(ids[a], r) for a in ("Dev", "Prod") for r in REGIONS]
    srv.aws("cloudtrail", "stop-logging", "--name", "org-trail")
    # Final digests: every log file of the four chains listed in a digest of its chain.
    deadline = time.time() + 60
    while True:
        missing = {}
        for acct, region in chains:
            logs = set(objects(s3, bucket, f"AWSLogs/{org_id}/{acct}/CloudTrail/{region}/"))
            unlisted = logs - listed_in_digests(s3, bucket, org_id, acct, region)
            if not logs or unlisted:
                missing[(acct, region)] = sorted(unlisted) or "no log files"
        if not missing:
            break
        check(time.time() < deadline, f"log files never covered by digests: {missing}")
        time.sleep(1)
    time.sleep(8)  # the trail is now clearly stopped (no digest for several periods)

    # Rotation happened: each region has several keys, and one chain's digests use more than one.
    for region in REGIONS:
        keys = srv.aws("--region", region, "cloudtrail", "list-public-keys", "--start-time", start)["PublicKeyList"]
        check(len(keys) >= 3, f"{region}: no rotation: {keys}")
    dkeys_dev = sorted(objects(s3, bucket, f"AWSLogs/{org_id}/{ids['Dev']}/CloudTrail-Digest/{REGIONS[1]}/"))
    check(len(set(digest_fingerprints(s3, bucket, dkeys_dev))) >= 3, "a chain signed by one key only")

    def stock(acct, region):
        return stock_validate(srv, trail_arn, start, acct, region)

    def ours():
        rc, out, err = orgtrail_validate(srv, trail_arn, start, "--json")
        check(rc in (0, 1), f"orgtrail validate-logs rc={rc}\n{out}\n{err}")
        return rc, json.loads(out)

    def all_clean(what):
        for acct, region in chains:
            rc, out, err = stock(acct, region)
            check(rc == 0 and "INVALID" not in out + err, f"{what}: aws validate-logs {acct} {region} rc={rc}\n{out}\n{err}")
            d_ok, d_all = ratio(out, "digest")
            l_ok, l_all = ratio(out, "log")
            check(d_all > 40 and d_ok == d_all and l_all > 0 and l_ok == l_all, f"{what}: {acct} {region}:\n{out}\n{err}")
            check("No log files were delivered" not in err, f"{what}: the restart broke the chain:\n{err}")
        rc, report = ours()
        check(rc == 0 and report["valid"] and not report["findings"], f"{what}: orgtrail: {report}")
        seen = {(c["accountId"], c["region"]) for c in report["chains"]}
        check(set(chains) <= seen, f"chains {sorted(seen)}")
        # (Not the management account's home chain: the StopLogging call's own record is delivered
        # after the final digests and starts a new chain there, so that one has a gap.)
        check(all(c["gaps"] == 0 for c in report["chains"] if (c["accountId"], c["region"]) in chains),
              f"{what}: gaps {report['chains']}")

    all_clean("untouched bucket")

    # Debian's AWS CLI 2.9 agrees on every account and region.
    for acct, region in chains:
        rc, out, err = v2_validate(srv, trail_arn, start, acct, region)
        check(rc == 0 and "INVALID" not in out + err, f"aws 2.9 validate-logs {acct} {region} rc={rc}\n{out}\n{err}")
        d_ok, d_all = ratio(out, "digest")
        l_ok, l_all = ratio(out, "log")
        check(d_all > 40 and d_ok == d_all and l_all > 0 and l_ok == l_all, f"aws 2.9 {acct} {region}:\n{out}\n{err}")
    print("AWS CLI 2.9: every account and region valid")

    acct, region = ids["Dev"], REGIONS[1]
    folder = f"AWSLogs/{org_id}/{acct}/CloudTrail/{region}/"
    dfolder = f"AWSLogs/{org_id}/{acct}/CloudTrail-Digest/{region}/"
    dkeys = sorted(objects(s3, bucket, dfolder))
    digests = {k: json.loads(gzip.decompress(s3.get_object(Bucket=bucket, Key=k)["Body"].read())) for k in dkeys}
    with_logs = [k for k in dkeys[2:-2] if digests[k]["logFiles"]]
    check(len(with_logs) >= 4, f"too few digests with log files: {len(with_logs)}")
    mid = with_logs[len(with_logs) // 2]
    logs_sorted = sorted(f["s3Object"] for k in dkeys for f in digests[k]["logFiles"])
    victim = digests[mid]["logFiles"][0]["s3Object"]
    older = logs_sorted[0] if logs_sorted[0] != victim else logs_sorted[1]

    snap = Snapshot(s3, bucket)
    results = []

    def case(name, stock_expect, ours_expect, extra_stock=None):
        """stock_expect: list of lines that must be in the stock CLI's stderr (empty: it must exit 0
        and see nothing, by design). ours_expect: set of (key, status) findings orgtrail must report."""
        rc, out, err = stock(acct, region)
        if stock_expect:
            for line in stock_expect:
                check(rc == 1 and line in err, f"{name}: aws validate-logs rc={rc}, lacks {line!r}\n{out}\n{err}")
        else:
            check(rc == 0 and "INVALID" not in err, f"{name}: aws validate-logs now detects it rc={rc}\n{out}\n{err}")
        if extra_stock:
            extra_stock(rc, out, err)
        orc, report = ours()
        got = {(f["key"], f["status"]) for f in report["findings"]}
        check(orc == 1 and ours_expect <= got, f"{name}: orgtrail rc={orc} expected {ours_expect}, got {got}")
        stray = [f for f in report["findings"] if (f["accountId"], f["region"]) != (acct, region)]
        check(not stray, f"{name}: findings in untouched chains: {stray}")
        results.append((name, "detected" if stock_expect else "not detected (by design)",
                        sorted(s for _, s in got)))
        snap.restore()

    # 1. A log file modified.
    body = snap.save(victim)
    records = json.loads(gzip.decompress(body))
    records["Records"][0]["sourceIPAddress"] = "203.0.113.66"
    s3.put_object(Bucket=bucket, Key=victim, Body=gzip.compress(json.dumps(records).encode()))
    case("log modified", [f"{victim}\tINVALID: hash value doesn't match"], {(victim, "modified")})

    # 2. A log file deleted.
    snap.save(victim)
    s3.delete_object(Bucket=bucket, Key=victim)
    case("log deleted", [f"{victim}\tINVALID: not found"], {(victim, "not_found")})

    # 3. A log file replaced by an older one (a replay of earlier, genuine bytes).
    snap.save(victim)
    old_body = s3.get_object(Bucket=bucket, Key=older)["Body"].read()
    s3.put_object(Bucket=bucket, Key=victim, Body=old_body)
    case("log replaced by an older version", [f"{victim}\tINVALID: hash value doesn't match"],
         {(victim, "modified")})

    # 4. A log file truncated (half of its gzip bytes).
    body = snap.save(victim)
    s3.put_object(Bucket=bucket, Key=victim, Body=body[: len(body) // 2])
    case("log truncated", [f"{victim}\tINVALID: "], {(victim, "invalid_format")},
         extra_stock=lambda rc, out, err: results.append(
             ("  stock says", [l for l in err.splitlines() if victim in l], [])))

    # 5. A log file moved into another folder (the same account's other region, same day).
    body = snap.save(victim)
    other_region = REGIONS[0]
    moved = victim.replace(f"/CloudTrail/{region}/", f"/CloudTrail/{other_region}/")
    s3.delete_object(Bucket=bucket, Key=victim)
    s3.put_object(Bucket=bucket, Key=moved, Body=body)
    snap.created_key(moved)
    # Only the original is named: the copy's file name still names the first region, so it is no log
    # file name of the folder it sits in and is not judged (docs/validation.md).
    rc, out, err = stock(acct, region)
    check(rc == 1 and f"{victim}\tINVALID: not found" in err, f"moved: aws rc={rc}\n{out}\n{err}")
    orc, report = ours()
    got = {(f["key"], f["status"]) for f in report["findings"]}
    check(orc == 1 and (victim, "not_found") in got, f"moved: orgtrail {got}")
    results.append(("log moved to another folder", "detected (original not found)", sorted(s for _, s in got)))
    snap.restore()

    # 6. A digest deleted (in the middle of the chain).
    snap.save(mid)
    s3.delete_object(Bucket=bucket, Key=mid)
    case("digest deleted", [f"{mid}\tINVALID: not found"], {(mid, "not_found")})

    # 7. A digest modified (one log file dropped from it; signature left as it was).
    body = snap.save(mid)
    d = json.loads(gzip.decompress(body))
    d["logFiles"] = d["logFiles"][1:]
    s3.put_object(Bucket=bucket, Key=mid, Body=gzip.compress(json.dumps(d).encode()),
                  Metadata=snap.saved[mid][1])
    case("digest modified", [f"{mid}\tINVALID: signature verification failed"], {(mid, "signature_invalid")})

    # 8. A digest modified and re-signed with a foreign key, (a) keeping the trail's fingerprint,
    #    (b) naming the foreign key's fingerprint.
    body = snap.save(mid)
    d = json.loads(gzip.decompress(body))
    d["logFiles"] = d["logFiles"][1:]
    gz, meta = foreign_sign(json.dumps(d), fingerprint_too=False)
    s3.put_object(Bucket=bucket, Key=mid, Body=gz, Metadata=meta)
    case("digest re-signed with a foreign key", [f"{mid}\tINVALID: signature verification failed"],
         {(mid, "signature_invalid")})
    snap.save(mid)
    gz, meta = foreign_sign(json.dumps(d), fingerprint_too=True)
    s3.put_object(Bucket=bucket, Key=mid, Body=gz, Metadata=meta)
    fp = json.loads(gzip.decompress(gz))["digestPublicKeyFingerprint"]
    case("digest re-signed with a foreign key and fingerprint",
         # (v1.45 names the trail's home region here, not the digest's)
         [f"{mid}\tINVALID: public key not found in region ", f" for fingerprint {fp}"],
         {(mid, "public_key_not_found")})

    # 9. A forged log file added, dated inside a covered minute: the stock CLI only checks what
    #    digests list, so it does not see it; orgtrail reports it as not listed.
    #    The minute is one the chain's digests cover without a break (the restart or a slow
    #    period can leave a short gap, and a file whose minute straddles one is not judged).
    forged = folder + covered_minute_key(digests, acct, region) % random.randrange(10**10)
    s3.put_object(Bucket=bucket, Key=forged,
                  Body=gzip.compress(json.dumps({"Records": []}).encode()))
    snap.created_key(forged)
    case("forged log file added", [], {(forged, "not_listed")})

    # 10. A whole digest period removed: its digest and every log file it lists.
    snap.save(mid)
    for f in digests[mid]["logFiles"]:
        snap.save(f["s3Object"])
        s3.delete_object(Bucket=bucket, Key=f["s3Object"])
    s3.delete_object(Bucket=bucket, Key=mid)
    case("a whole period removed (digest + its logs)", [f"{mid}\tINVALID: not found"], {(mid, "not_found")})

    # 11. The newest digest deleted (the final one, written at StopLogging): the stock CLI starts at
    #     whatever digest is newest, so it cannot tell; orgtrail sees the chain end before the
    #     trail's other chains. (With 2 s periods the digest before the final one may end within
    #     the 1 s that final digests of one StopLogging may differ by; then it goes too.)
    def stamp(k):
        return datetime.datetime.strptime(k[-24:-8], "%Y%m%dT%H%M%SZ")
    n_del = 1
    while (stamp(dkeys[-1]) - stamp(dkeys[-1 - n_del])).total_seconds() <= 1:
        n_del += 1
    for k in dkeys[-n_del:]:
        snap.save(k)
        s3.delete_object(Bucket=bucket, Key=k)
    case(f"newest digest deleted ({n_del})", [], {(dkeys[-1 - n_del], "chain_broken")})

    # 12. One more of the newest digests deleted.
    for k in dkeys[-n_del - 1:]:
        snap.save(k)
        s3.delete_object(Bucket=bucket, Key=k)
    case(f"newest digests deleted ({n_del + 1})", [], {(dkeys[-2 - n_del], "chain_broken")})

    # Everything restored: no false alarm again.
    all_clean("restored bucket")
    print("tamper matrix (stock CLI v1 | orgtrail findings):")
    for name, stock_result, ours_result in results:
        print(f"  {name}: stock {stock_result}; orgtrail {ours_result}")


if __name__ == "__main__":
    run(tamper_matrix, "--delivery-interval", "1s", "--digest-interval", "2s", "--signing-key-rotation", "20s")
