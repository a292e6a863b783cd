"""Crash safety end to end (issue 6): an organization trail with log file validation and SSE-KMS;
load-generator threads call cheap APIs (kms list-keys, sts get-caller-identity) with boto3 in the
management, Dev and Prod accounts and two regions, recording the request id of every acknowledged
call, and send batches of custom events to a channel with PutAuditEvents, recording the eventID
of every event acknowledged as successful; orgtraild (with 64 KB log segments, so that kills land
in rotations and recycled segments) is killed with SIGKILL at random points (and restarted on the
same data dir and port) at least 50 times; then it is stopped cleanly and started once more to
let the digests catch up. As the Audit account, every delivered log file is downloaded (decrypted
through S3 GetObject): every acknowledged request id and event id is in exactly one delivered
record, no request id or event id is in two records, every delivered log file is listed in a
digest of its chain, and both the stock `aws cloudtrail validate-logs` and `orgtrail
validate-logs` report everything valid.

A call whose answer was lost to a kill is not acknowledged: it may or may not be delivered (once).

CI runs 50 kills with short runs in between (a few minutes); a soak runs longer:
    python3 tests/e2e/test_crash.py --soak 1000
"""
import argparse
import collections
import datetime
import gzip
import json
import random
import signal
import sys
import threading
import time

from harness import Server, check
from test_org_trail import REGIONS
from test_put_audit_events import custom_event
from test_validate_logs import iso, objects, orgtrail_validate, ratio, stock_validate, validated_org_trail


class Load:
    """Threads calling cheap APIs and PutAuditEvents; `acked` holds the request ids of answered
    calls, `acked_events` the eventIDs of events PutAuditEvents answered as successful."""

    def __init__(self, srv, profiles, threads, channel_arn):
        self.srv = srv
        self.profiles = profiles
        self.threads = threads
        self.channel_arn = channel_arn
        self.acked = []
        self.acked_events = []
        self.failed = 0
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.workers = []

    def clients(self):
        """One set of clients per thread, made here: boto3 sessions are not thread-safe."""
        from botocore.config import Config
        cfg = Config(retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=20)
        out = []
        for profile in self.profiles:
            session = self.srv.boto3_session(profile)
            for region in REGIONS:
                out.append(("kms", session.client("kms", region_name=region,
                                                  endpoint_url=self.srv.endpoint, config=cfg)))
            out.append(("sts", session.client("sts", region_name="us-east-1",
                                              endpoint_url=self.srv.endpoint, config=cfg)))
        data = self.srv.boto3_session(self.profiles[0]).client(
            "cloudtrail-data", region_name="us-east-1", endpoint_url=self.srv.endpoint, config=cfg)
        out += [("data", data)] * len(self.profiles)  # about as often as the other kinds
        return out

    def start(self):
        for i in range(self.threads):
            t = threading.Thread(target=self.run, args=(i, self.clients()), daemon=True)
            t.start()
            self.workers.append(t)

    def join(self):
        self.stop.set()
        for t in self.workers:
            t.join(timeout=60)
            check(not t.is_alive(), "a load thread does not stop")

    def run(self, n, clients):
        rnd = random.Random(n)
        while not self.stop.is_set():
            kind, client = rnd.choice(clients)
            try:
                if kind == "data":
                    batch = [{"id": f"e{i}", "eventData": custom_event(f"crash-{n}-{rnd.getrandbits(64)}")}
                             for i in range(rnd.randint(1, 20))]
                    out = client.put_audit_events(channelArn=self.channel_arn, auditEvents=batch)
                elif kind == "kms":
                    out = client.list_keys()
                else:
                    out = client.get_caller_identity()
            except Exception:  # the server is down or died mid-call: not acknowledged
                with self.lock:
                    self.failed += 1
                time.sleep(0.05)
                continue
            with self.lock:
                if kind == "data":  # the call itself is a data event the trail does not select
                    self.acked_events += [e["eventID"] for e in out["successful"]]
                    self.failed += len(out["failed"])
                else:
                    self.acked.append(out["ResponseMetadata"]["RequestId"])


def setup(srv):
    mgmt, org_id, ids, _, bucket, trail_arn = validated_org_trail(srv)
    eds = f"arn:aws:cloudtrail:us-east-1:{mgmt}:eventdatastore/EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE"
    ch = srv.aws("cloudtrail", "create-channel", "--name", "crash-load", "--source", "Custom",
                 "--destinations", f"Type=EVENT_DATA_STORE,Location={eds}", "--region", "us-east-1")
    return mgmt, org_id, ids, bucket, trail_arn, ch["ChannelArn"]


def delivered_records(s3, bucket, org_id):
    """(log keys by chain, request id -> count, event id -> count) over every delivered log file."""
    logs = collections.defaultdict(set)
    counts = collections.Counter()
    event_counts = collections.Counter()
    for key in objects(s3, bucket, f"AWSLogs/{org_id}/"):
        parts = key.split("/")
        if len(parts) < 6 or parts[3] != "CloudTrail":
            continue
        logs[(parts[2], parts[4])].add(key)
        body = gzip.decompress(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        for r in json.loads(body)["Records"]:
            if "requestID" in r:  # custom events (PutAuditEvents) have none
                counts[r["requestID"]] += 1
            event_counts[r["eventID"]] += 1
    return logs, counts, event_counts


def listed_in_digests(s3, bucket, org_id):
    """Log keys listed by any digest, by chain (account, region)."""
    listed = collections.defaultdict(set)
    for key in objects(s3, bucket, f"AWSLogs/{org_id}/"):
        parts = key.split("/")
        if len(parts) < 6 or parts[3] != "CloudTrail-Digest":
            continue
        d = json.loads(gzip.decompress(s3.get_object(Bucket=bucket, Key=key)["Body"].read()))
        listed[(parts[2], parts[4])] |= {f["s3Object"] for f in d["logFiles"]}
    return listed


def crash_test(kills, threads, max_uptime, seed):
    rnd = random.Random(seed)
    print(f"crash test: {kills} kills, {threads} load threads, seed {seed}", flush=True)
    # Small log segments: the kills land in rotations and in segments written
    # over recycled ones (docs/formats/wal.md), not only inside one segment.
    srv = Server(extra_args=["--delivery-interval", "1s", "--digest-interval", "5s",
                             "--wal-segment-bytes", "65536", "--wal-recycle-segments", "4"]).start()
    try:
        start = iso(datetime.datetime.utcnow() - datetime.timedelta(minutes=5))
        mgmt, org_id, ids, bucket, trail_arn, channel_arn = setup(srv)
        load = Load(srv, ["management", "dev", "prod"], threads, channel_arn)
        load.start()
        t0 = time.time()
        for i in range(kills):
            # Anywhere from right after the restart to a few delivery intervals later.
            time.sleep(rnd.uniform(0, max_uptime))
            srv.stop(signal.SIGKILL)
            srv.start()
            if (i + 1) % 10 == 0:
                print(f"  {i + 1} kills, {len(load.acked)} calls acknowledged, "
                      f"{time.time() - t0:.0f}s", flush=True)
        time.sleep(1)
        load.join()
        check(srv.stop() == 0, "orgtraild did not stop cleanly:\n" + srv.read_log())
        srv.start()  # no more kills: the digests of the last periods are written
        for n in ids:  # a start rewrites the CLI config with the management profile only
            srv.add_role_profile(n.lower(), ids[n])

        s3 = srv.boto3_session("audit").client("s3")
        acked, acked_events = load.acked, load.acked_events
        check(len(acked) >= kills, f"the load generator got only {len(acked)} answers")
        check(len(acked_events) >= kills, f"PutAuditEvents acknowledged only {len(acked_events)} events")
        check(len(set(acked)) == len(acked), "the server answered two calls with one request id")
        check(len(set(acked_events)) == len(acked_events), "two acknowledged events share an eventID")
        deadline = time.time() + 120
        while True:
            logs, counts, event_counts = delivered_records(s3, bucket, org_id)
            missing = [r for r in acked if counts[r] == 0]
            missing_events = [e for e in acked_events if event_counts[e] == 0]
            listed = listed_in_digests(s3, bucket, org_id)
            unlisted = {c: sorted(keys - listed[c]) for c, keys in logs.items() if keys - listed[c]}
            if not missing and not missing_events and not unlisted:
                break
            if time.time() > deadline:
                raise AssertionError(f"{len(missing)} of {len(acked)} acknowledged calls and "
                                     f"{len(missing_events)} of {len(acked_events)} events never "
                                     f"delivered (e.g. {missing_events[:3]}) "
                                     f"(e.g. {missing[:5]}); log files in no digest: {unlisted}")
            time.sleep(1)
        twice = {r: n for r, n in list(counts.items()) + list(event_counts.items()) if n > 1}
        check(not twice, f"request/event ids delivered more than once: {dict(list(twice.items())[:10])}")
        extra = len(counts) - len(acked)
        print(f"  {len(acked)} acknowledged calls and {len(acked_events)} PutAuditEvents events "
              f"delivered exactly once; {extra} other records "
              f"(setup, role sessions, calls whose answer was lost); {len(logs)} chains, "
              f"{sum(len(k) for k in logs.values())} log files", flush=True)

        # The stock AWS CLI validates each load chain; orgtrail the whole organization.
        chains = [(a, r) for a in (mgmt, ids["Dev"], ids["Prod"]) for r in REGIONS if (a, r) in logs]
        check(len(chains) >= 4, f"chains with log files: {sorted(logs)}")
        for acct, region in chains:
            rc, out, err = stock_validate(srv, trail_arn, start, acct, region)
            d_ok, d_all = ratio(out, "digest")
            l_ok, l_all = ratio(out, "log")
            check(rc == 0 and "INVALID" not in out + err and d_all > 0 and d_ok == d_all and l_all > 0
                  and l_ok == l_all, f"aws validate-logs {acct} {region} rc={rc}\n{out}\n{err}")
        rc, out, err = orgtrail_validate(srv, trail_arn, start, "--json")
        check(rc == 0, f"orgtrail validate-logs rc={rc}\n{out}\n{err}")
        report = json.loads(out)
        check(report["valid"] and not report["findings"], f"{report}")
        print(f"crash_test: OK ({kills} kills, {time.time() - t0:.0f}s)")
    except BaseException:
        print("--- orgtraild log ---\n" + srv.read_log(), file=sys.stderr)
        raise
    finally:
        srv.cleanup()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--soak", type=int, metavar="KILLS", help="kill this many times (default 50, for CI)")
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--max-uptime", type=float, default=None,
                    help="longest run between kills, seconds (default 1.5, soak 3)")
    ap.add_argument("--seed", type=int, default=None)
    a = ap.parse_args()
    kills = a.soak or 50
    uptime = a.max_uptime if a.max_uptime is not None else (3.0 if a.soak else 1.5)
    crash_test(kills, a.threads, uptime, a.seed if a.seed is not None else random.randrange(1 << 30))
