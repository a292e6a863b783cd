#!/usr/bin/env python3
"""Validation of one organization bucket: the stock `aws cloudtrail validate-logs` (AWS CLI v1, one
run per account and region, sequentially, as a user would) against `orgtrail validate-logs` (the
whole organization in one run, through the API and straight from the data directory), side by
side, plus the machine's bound: gunzip + SHA-256 of the same log bytes in memory with the fastest
implementations at hand (bench/bench_gunzip_sha.cc: libdeflate + OpenSSL SHA-256, 1 and 2
threads; python zlib + hashlib is printed for reference).

    python3 bench/bench_validate.py [--accounts 10] [--periods 24] [--mb 220]
                                    [--digest-interval 20] [--delivery-interval 1]
                                    [--skip-stock] [--skip-api] [--repeat N]
    python3 bench/bench_validate.py --keep DIR --build-only   # build the bucket once (~10 min)
    python3 bench/bench_validate.py --reuse DIR [--skip-stock] [--skip-api] [--repeat N]

--keep DIR builds the bucket with the server's data directory in DIR/data and keeps it, with
DIR/logs.bin (the log files' gzip bytes, the bound's input) and DIR/bench.json (trail, bucket,
organization, start time, members, the build's parameters); --reuse DIR times the validators on it
without building anything: orgtraild is started again on DIR/data (on a new port; the profiles'
endpoint_url is rewritten) for API mode and the stock CLI, and stopped before the bound and
--data-dir. --repeat N times API mode N times, then alternates the bound and --data-dir N times;
the table shows medians and every run's figures are printed (the stock CLI always runs once).

The bucket is shaped like AWS's: CloudTrail delivers a log file about every 5 minutes per account
and region and a digest every hour, so about 12 log files of tens of KB per digest. Here time is
compressed 180x (`--delivery-interval 1s --digest-interval 20s`; a batch is sealed at the first
delivery tick after it is 1 s old, so files come every 1.2-2.5 s depending on load): about 8-16
log files per digest period per chain. The calls are paced so that the --mb target is reached at
the end of the run, not early, which keeps the files at tens of KB.

Starts the real orgtraild (ORGTRAILD, default build/bin/orgtraild; ORGTRAIL_CLI, default
build/bin/orgtrail; BENCH_GUNZIP_SHA, default bench_gunzip_sha next to ORGTRAILD), sets up an
organization with an Audit account and --accounts member accounts, the Audit bucket
(tests/e2e/test_org_trail.py), and a multi-region organization trail with log file validation
(SSE-S3 objects). Then, for a bit more than --periods digest periods, every member account makes
KMS TagResource calls (50 tags of 128 + 256 characters: large records, as the AWS limits allow) in
us-east-1 and eu-west-1 through its assumed role, until at least --mb MB of records were sent.
StopLogging, wait for the final digests, then time the validators: API mode, the stock CLI, then
(the server stopped, so that it does not share the cores) the bound and --data-dir. Exits non-zero
if a validator reports anything invalid or the bucket is smaller than asked.
"""
import argparse
import concurrent.futures
import datetime
import gzip
import hashlib
import json
import os
import random
import re
import resource
import struct
import subprocess
import sys
import threading
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
os.environ.setdefault("ORGTRAILD", os.path.join(HERE, "..", "build", "bin", "orgtraild"))
ORGTRAIL_CLI = os.environ.get("ORGTRAIL_CLI", os.path.join(HERE, "..", "build", "bin", "orgtrail"))
BENCH_GUNZIP_SHA = os.environ.get(
    "BENCH_GUNZIP_SHA", os.path.join(os.path.dirname(os.environ["ORGTRAILD"]), "bench_gunzip_sha"))

from harness import Server  # noqa: E402
from test_org_trail import audit_infrastructure  # noqa: E402
from test_validate_logs import grant_management_read, ratio  # noqa: E402
from test_walkthrough import create_account  # noqa: E402

REGIONS = ("us-east-1", "eu-west-1")
WORDS = ("audit trail digest chain account region key event record policy organization member "
         "principal session role bucket object version signature validation delivery").split()


def text(rng, n):
    out = []
    size = 0
    while size < n:
        w = rng.choice(WORDS) + str(rng.randrange(1000))
        out.append(w)
        size += len(w) + 1
    return " ".join(out)[:n]


def generate(srv, profiles, seconds, target_bytes, threads):
    """TagResource calls from every (account, region) until both the time and the bytes are reached."""
    sent = [0, 0]  # calls, bytes
    lock = threading.Lock()
    started = time.time()
    deadline = started + seconds
    work = [(p, r) for p in profiles for r in REGIONS]

    def worker(i):
        rng = random.Random(i)
        clients = {}
        for p, r in work[i::threads]:
            c = srv.boto3_session(p).client("kms", region_name=r, endpoint_url=srv.endpoint)
            arn = c.create_key(Description=f"bench {p} {r}")["KeyMetadata"]["Arn"]
            clients[(p, r)] = (c, arn)
        while True:
            with lock:
                if time.time() >= deadline and sent[1] >= target_bytes:
                    return
            # Paced to the byte target over the whole run, so that the files stay
            # as small as AWS's (tens of KB) however long the run is.
            with lock:
                ahead = sent[1] - target_bytes * 1.05 * (time.time() - started) / seconds
            if ahead > 0:
                time.sleep(0.05)
                continue
            for c, arn in clients.values():
                tags = [{"TagKey": "k%02d-" % t + text(rng, 120), "TagValue": text(rng, 256)} for t in range(50)]
                c.tag_resource(KeyId=arn, Tags=tags)
                with lock:
                    sent[0] += 1
                    sent[1] += sum(len(t["TagKey"]) + len(t["TagValue"]) for t in tags)

    with concurrent.futures.ThreadPoolExecutor(threads) as ex:
        list(ex.map(worker, range(threads)))
    return sent


CPU = {}  # "last" -> CPU seconds (user + system) of the last timed run


def timed(cmd, env):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=7200)
    dt = time.perf_counter() - t
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU["last"] = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return dt, p


def write_blobs(blobs, path):
    with open(path, "wb") as f:
        for b in blobs:
            f.write(struct.pack("<Q", len(b)))
            f.write(b)


def read_blobs(path):
    blobs = []
    with open(path, "rb") as f:
        data = f.read()
    at = 0
    while at < len(data):
        (n,) = struct.unpack_from("<Q", data, at)
        blobs.append(data[at + 8:at + 8 + n])
        at += 8 + n
    return blobs


def native_bound(path):
    """bench_gunzip_sha over the same gzip bytes (records in `path`): {threads: seconds}, uncompressed bytes."""
    out = subprocess.run([BENCH_GUNZIP_SHA, path, "--threads", "1,2", "--repeat", "3"],
                         capture_output=True, text=True, check=True).stdout
    j = json.loads(out)
    return {int(t): v["seconds"] for t, v in j["threads"].items()}, j["rawBytes"]


def python_bound(blobs, threads):
    def one(b):
        raw = zlib.decompress(b, 31)  # gzip
        hashlib.sha256(raw).hexdigest()
        return len(raw)

    t = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(threads) as ex:
        total = sum(ex.map(one, blobs))
    return time.perf_counter() - t, total


def build_bucket(args, data_dir):
    """Runs the server, builds the organization bucket, stops logging. Returns (server, meta, blobs)."""
    srv = Server(data_dir=data_dir,
                 extra_args=["--delivery-interval", f"{args.delivery_interval}s",
                             "--digest-interval", f"{args.digest_interval}s"]).start()
    start = (datetime.datetime.utcnow() - datetime.timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    mgmt = srv.aws("sts", "get-caller-identity")["Account"]
    org_id = srv.aws("organizations", "create-organization", "--feature-set", "ALL")["Organization"]["Id"]
    audit = create_account(srv, "Audit")
    srv.add_role_profile("audit", audit)
    members = {}
    for i in range(args.accounts):
        members[f"m{i:02d}"] = create_account(srv, f"Member{i:02d}")
        srv.add_role_profile(f"m{i:02d}", members[f"m{i:02d}"])
    key_arn, bucket, trail_arn = audit_infrastructure(srv, mgmt, org_id, audit)
    grant_management_read(srv, mgmt, bucket, key_arn)
    srv.aws("organizations", "enable-aws-service-access", "--service-principal", "cloudtrail.amazonaws.com")
    srv.aws("cloudtrail", "create-trail", "--name", "org-trail", "--s3-bucket-name", bucket,
            "--is-organization-trail", "--is-multi-region-trail", "--enable-log-file-validation")
    srv.aws("cloudtrail", "start-logging", "--name", "org-trail")

    seconds = args.periods * args.digest_interval + 2 * args.digest_interval
    t = time.time()
    calls, _ = generate(srv, list(members), seconds, args.mb * 1_000_000, args.threads)
    gen_s = time.time() - t
    srv.aws("cloudtrail", "stop-logging", "--name", "org-trail")
    time.sleep(3 * args.digest_interval)

    # The bucket: log bytes (gzip as stored, SSE-S3 decrypted by GetObject) for the bound.
    s3 = srv.boto3_session("audit").client("s3", endpoint_url=srv.endpoint)
    logs, digests = [], 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"AWSLogs/{org_id}/"):
        for o in page.get("Contents", []):
            if "/CloudTrail-Digest/" in o["Key"]:
                digests += 1
            elif "/CloudTrail/" in o["Key"]:
                logs.append(o["Key"])
    blobs = [s3.get_object(Bucket=bucket, Key=k)["Body"].read() for k in logs]
    meta = {"start": start, "orgId": org_id, "bucket": bucket, "trailArn": trail_arn, "members": members,
            "logFiles": len(logs), "digests": digests, "calls": calls, "generateSeconds": gen_s,
            "args": {"accounts": args.accounts, "periods": args.periods, "mb": args.mb,
                     "digestInterval": args.digest_interval, "deliveryInterval": args.delivery_interval}}
    return srv, meta, blobs


def restart_server(keep_dir, meta):
    """Starts orgtraild again on a kept data directory (on a new port) for API-mode and stock runs."""
    a = meta["args"]
    srv = Server(data_dir=os.path.join(keep_dir, "data"),
                 extra_args=["--delivery-interval", f"{a['deliveryInterval']}s",
                             "--digest-interval", f"{a['digestInterval']}s"])
    # The profiles name the endpoint of the run that built the bucket.
    with open(srv.config_file) as f:
        cfg = f.read()
    with open(srv.config_file, "w") as f:
        f.write(re.sub(r"(endpoint_url\s*=\s*)\S+", lambda m: m.group(1) + srv.endpoint, cfg))
    return srv.start()


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2] if len(xs) % 2 else (xs[len(xs) // 2 - 1] + xs[len(xs) // 2]) / 2


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=10)
    ap.add_argument("--periods", type=int, default=24)
    ap.add_argument("--mb", type=int, default=220)
    ap.add_argument("--digest-interval", type=int, default=20)
    ap.add_argument("--delivery-interval", type=int, default=1)
    ap.add_argument("--threads", type=int, default=4, help="generator threads")
    ap.add_argument("--skip-stock", action="store_true", help="do not time the stock CLI (quick runs)")
    ap.add_argument("--skip-api", action="store_true", help="do not time API mode")
    ap.add_argument("--keep", metavar="DIR",
                    help="build the bucket into DIR (a new directory) and keep it for --reuse")
    ap.add_argument("--reuse", metavar="DIR", help="time the validators on a bucket built with --keep DIR")
    ap.add_argument("--build-only", action="store_true", help="with --keep: build the bucket, time nothing")
    ap.add_argument("--repeat", type=int, default=1,
                    help="timed repetitions of the bound, --data-dir and API mode (the stock CLI runs once); "
                         "the table shows the median, the fastest is printed too")
    args = ap.parse_args()
    if args.keep and args.reuse:
        sys.exit("--keep and --reuse exclude each other")
    if args.build_only and not args.keep:
        sys.exit("--build-only needs --keep")
    cores = os.cpu_count() or 1

    srv = None
    try:
        if args.reuse:
            with open(os.path.join(args.reuse, "bench.json")) as f:
                meta = json.load(f)
            blobs_path = os.path.join(args.reuse, "logs.bin")
            blobs = read_blobs(blobs_path)
            data_dir = os.path.join(args.reuse, "data")
            if not (args.skip_api and args.skip_stock):
                srv = restart_server(args.reuse, meta)
        else:
            data_dir = None
            if args.keep:
                os.makedirs(args.keep)
                data_dir = os.path.join(args.keep, "data")
            srv, meta, blobs = build_bucket(args, data_dir)
            data_dir = srv.data_dir
            blobs_path = os.path.join(args.keep or srv.tmp, "logs.bin")
            write_blobs(blobs, blobs_path)
            if args.keep:
                with open(os.path.join(args.keep, "bench.json"), "w") as f:
                    json.dump(meta, f, indent=1)
                print(f"bucket kept in {args.keep}: {meta['logFiles']} log files, {meta['digests']} digests")
            if args.build_only:
                return
        start, trail_arn, bucket, org_id = meta["start"], meta["trailArn"], meta["bucket"], meta["orgId"]
        members = meta["members"]
        gz_bytes = sum(len(b) for b in blobs)
        a = meta["args"]

        env = srv.cli_env() if srv else dict(os.environ)
        if srv:
            env["AWS_ENDPOINT_URL"] = srv.endpoint
        load_before = os.getloadavg()
        # orgtrail validate-logs: the whole organization, one run, through the API.
        api_runs, api_cpu, report = [], [], None
        if not args.skip_api:
            for _ in range(args.repeat):
                dt, p = timed([ORGTRAIL_CLI, "validate-logs", "--trail-arn", trail_arn, "--start-time", start,
                               "--profile", "management", "--endpoint-url", srv.endpoint, "--json"], env)
                if p.returncode != 0:
                    sys.exit(f"orgtrail validate-logs rc={p.returncode}\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}")
                api_runs.append(dt)
                api_cpu.append(CPU["last"])
                report = json.loads(p.stdout)

        # The stock CLI v1: every member account and region, sequentially.
        stock_s, stock_logs, stock_digests = 0.0, 0, 0
        if not args.skip_stock:
            for acct in members.values():
                for region in REGIONS:
                    dt, p = timed(["aws", "--profile", "management", "cloudtrail", "validate-logs", "--trail-arn",
                                   trail_arn, "--start-time", start, "--account-id", acct, "--region", region], env)
                    stock_s += dt
                    if p.returncode != 0 or "INVALID" in p.stdout + p.stderr:
                        sys.exit(f"aws validate-logs {acct} {region} rc={p.returncode}\n{p.stdout}\n{p.stderr}")
                    stock_digests += ratio(p.stdout, "digest")[1]
                    stock_logs += ratio(p.stdout, "log")[1]

        py1_s, py_raw = python_bound(blobs, 1)
        py2_s, _ = python_bound(blobs, 2)

        # --data-dir: straight from the data directory. The server is stopped
        # first so that it does not share the two cores with the validator.
        if srv:
            srv.stop()
        bound_runs = {1: [], 2: []}
        dd_runs, dd_cpu, dd_report = [], [], None
        for _ in range(args.repeat):
            native, raw_bytes = native_bound(blobs_path)
            for t, v in native.items():
                bound_runs.setdefault(t, []).append(v)
            dt, p = timed([ORGTRAIL_CLI, "validate-logs", "--trail-arn", trail_arn, "--start-time", start,
                           "--data-dir", data_dir, "--s3-bucket", bucket, "--org-id", org_id, "--json"], env)
            if p.returncode != 0:
                sys.exit(f"orgtrail validate-logs --data-dir rc={p.returncode}\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}")
            dd_runs.append(dt)
            dd_cpu.append(CPU["last"])
            dd_report = json.loads(p.stdout)
        dd = dd_report["summary"]
        if report is None:
            report = dd_report
        s = report["summary"]
        load_after = os.getloadavg()
        assert py_raw == raw_bytes, (py_raw, raw_bytes)

        mb = raw_bytes / 1e6
        native = {t: median(v) for t, v in bound_runs.items() if v}
        bound_s = min(native.values())
        member_chains = [c for c in report["chains"] if c["accountId"] in members.values()]
        periods = min(c["digestFilesValid"] for c in member_chains)
        # Log files per digest period of the member chains (the management and
        # Audit accounts' chains are mostly empty digests).
        per_digest = (sum(c["logFilesValid"] for c in member_chains)
                      / max(1, sum(c["digestFilesValid"] for c in member_chains)))
        nlogs = meta["logFiles"]
        print(f"orgtraild bucket: {len(members)} member accounts x {len(REGIONS)} regions, >= {periods} digest "
              f"periods of {a['digestInterval']} s per chain (delivery every {a['deliveryInterval']} s); "
              f"{nlogs} log files ({per_digest:.1f} per digest, {raw_bytes / nlogs / 1e3:.0f} KB "
              f"average), {meta['digests']} digests; {mb:.1f} MB uncompressed logs ({gz_bytes / 1e6:.1f} MB gzip); "
              f"generated by {meta['calls']} TagResource calls in {meta['generateSeconds']:.0f} s; {cores} cores; "
              f"load average {load_before[0]:.2f} before the timed runs, {load_after[0]:.2f} after; "
              f"{args.repeat} repetition(s), medians")
        print(f"{'validator':60s} {'seconds':>8s} {'MB/s':>8s} {'vs stock':>9s} {'vs bound':>9s}")
        rows = [
            (f"aws cloudtrail validate-logs (CLI v1), {2 * len(members)} runs", stock_s),
            ("orgtrail validate-logs, whole organization, API mode", median(api_runs) if api_runs else 0),
            ("orgtrail validate-logs, whole organization, --data-dir", median(dd_runs)),
        ] + [(f"bound: libdeflate + OpenSSL SHA-256, {t} thread{'s' if t > 1 else ''}", v)
             for t, v in sorted(native.items(), reverse=True)] + [
            ("python zlib + hashlib, 2 threads (reference)", py2_s),
            ("python zlib + hashlib, 1 thread (reference)", py1_s),
        ]
        for name, secs in rows:
            if secs <= 0:
                continue
            vs_stock = f"{stock_s / secs:8.1f}x" if stock_s > 0 else "       - "
            print(f"{name:60s} {secs:8.2f} {mb / secs:8.1f} {vs_stock} {secs / bound_s:8.2f}x")
        fmt = lambda xs: " ".join(f"{x:.2f}" for x in xs)  # noqa: E731
        print(f"runs (s): --data-dir [{fmt(dd_runs)}] CPU [{fmt(dd_cpu)}]; bound 2 threads [{fmt(bound_runs[2])}], "
              f"1 thread [{fmt(bound_runs[1])}]"
              + (f"; API mode [{fmt(api_runs)}] CPU [{fmt(api_cpu)}]" if api_runs else ""))
        print(f"stock CLI checked {stock_digests} digests and {stock_logs} log files; orgtrail checked "
              f"{s['digestFilesValid']} digests and {s['logFilesValid']} log files of {len(report['chains'])} chains "
              f"({s['bytesInflated'] / 1e6:.1f} MB inflated); --data-dir: {dd['digestFilesValid']} digests, "
              f"{dd['logFilesValid']} log files; orgtrail CPU (user + system), medians: "
              + (f"API mode {median(api_cpu):.2f} s (the rest of its wall time waits for the server), "
                 if api_cpu else "")
              + f"--data-dir {median(dd_cpu):.2f} s")
        ok = (mb >= a["mb"] and periods >= a["periods"] and s["logFilesValid"] >= nlogs
              and dd["logFilesValid"] == s["logFilesValid"] and dd["digestFilesValid"] == s["digestFilesValid"])
        if not ok:
            sys.exit(f"bucket smaller than asked or modes disagree: {mb:.1f} MB, {periods} periods, "
                     f"{s['logFilesValid']}/{nlogs} logs, --data-dir {dd['logFilesValid']} logs")
    finally:
        if srv:
            srv.cleanup()


if __name__ == "__main__":
    main()
