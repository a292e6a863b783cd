"""CloudTrail channels and the CloudTrail Data API end to end: the management account of an
organization with an organization trail creates a Custom channel with the stock CLI, sends
events with boto3 (client('cloudtrail-data')) and with `aws cloudtrail-data put-audit-events`,
and finds them, converted to CloudTrail records, in the delivered log files. Then every kind of
bad input gets its AWS error (per event or for the whole call) and the server stays up."""
import gzip
import hashlib
import base64
import json
import os
import tempfile
import time
import uuid

import botocore.exceptions

from harness import check, run
from rawclient import signed
from test_org_trail import audit_infrastructure, list_log_files
from test_walkthrough import create_account

REGION = "us-east-1"


def custom_event(uid, name="UserLogin", **extra):
    data = {
        "version": "1.0",
        "userIdentity": {"type": "ApplicationUser", "principalId": "alice@example.com",
                         "details": {"team": "payments"}},
        "userAgent": "app/2.3",
        "eventSource": "app.example.com",
        "eventName": name,
        "eventTime": "2026-01-02T03:04:05Z",
        "UID": uid,
        "requestParameters": {"screen": "login"},
        "responseElements": {"result": "ok"},
        "sourceIPAddress": "203.0.113.7",
        "additionalEventData": {"mfa": True},
    }
    data.update(extra)
    return json.dumps(data)


def healthy(srv):
    import urllib.request
    with urllib.request.urlopen(srv.endpoint + "/_orgtrail/health", timeout=5) as r:
        check(r.status == 200, "server not healthy")
    check(srv.alive(), "orgtraild died")


def client_error(fn, code):
    try:
        fn()
    except botocore.exceptions.ClientError as e:
        got = e.response["Error"]["Code"]
        check(got == code, f"expected {code}, got {got}: {e}")
        return e
    raise AssertionError(f"expected {code}, got success")


def setup_org_trail(srv):
    mgmt = srv.aws("sts", "get-caller-identity")["Account"]
    org_id = srv.aws("organizations", "create-organization", "--feature-set", "ALL")["Organization"]["Id"]
    ids = {n: create_account(srv, n) for n in ("Audit", "Dev")}
    for n in ids:
        srv.add_role_profile(n.lower(), ids[n])
    key_arn, bucket, trail_arn = audit_infrastructure(srv, mgmt, org_id, ids["Audit"])
    srv.aws("organizations", "enable-aws-service-access", "--service-principal", "cloudtrail.amazonaws.com")
    srv.aws("cloudtrail", "create-trail", "--name", "org-trail", "--s3-bucket-name", bucket,
            "--is-organization-trail", "--is-multi-region-trail", "--kms-key-id", key_arn)
    srv.aws("cloudtrail", "start-logging", "--name", "org-trail")
    return mgmt, org_id, ids, bucket


def channels(srv, mgmt):
    """The channel control plane with the stock CLI; returns the channel ARN."""
    eds = f"arn:aws:cloudtrail:{REGION}:{mgmt}:eventdatastore/EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE"
    dest = f"Type=EVENT_DATA_STORE,Location={eds}"
    ch = srv.aws("cloudtrail", "create-channel", "--name", "app-events", "--source", "Custom",
                 "--destinations", dest, "--tags", "Key=team,Value=security")
    arn = ch["ChannelArn"]
    check(arn.startswith(f"arn:aws:cloudtrail:{REGION}:{mgmt}:channel/"), f"channel ARN {arn}")
    check(ch["Name"] == "app-events" and ch["Source"] == "Custom", f"{ch}")
    check(ch["Destinations"] == [{"Type": "EVENT_DATA_STORE", "Location": eds}], f"{ch}")
    check(ch["Tags"] == [{"Key": "team", "Value": "security"}], f"{ch}")
    got = srv.aws("cloudtrail", "get-channel", "--channel", arn)
    check(got["ChannelArn"] == arn and got["Destinations"] == ch["Destinations"], f"{got}")
    listed = srv.aws("cloudtrail", "list-channels")["Channels"]
    check(listed == [{"ChannelArn": arn, "Name": "app-events"}], f"{listed}")
    srv.aws("cloudtrail", "create-channel", "--name", "app-events", "--source", "Custom",
            "--destinations", dest, expect_error="ChannelAlreadyExistsException")
    srv.aws("cloudtrail", "create-channel", "--name", "other", "--source", "Okta",
            "--destinations", dest, expect_error="InvalidSourceException")
    srv.aws("cloudtrail", "create-channel", "--name", "other", "--source", "Custom",
            "--destinations", f"Type=EVENT_DATA_STORE,Location=arn:aws:s3:::bucket",
            expect_error="EventDataStoreARNInvalidException")
    srv.aws("cloudtrail", "get-channel", "--channel", "not-an-arn!", expect_error="ChannelARNInvalidException")
    # Another account, or another region, does not see it.
    srv.aws("cloudtrail", "get-channel", "--channel", arn, profile="dev", expect_error="ChannelNotFoundException")
    srv.aws("--region", "eu-west-1", "cloudtrail", "get-channel", "--channel", arn,
            expect_error="ChannelNotFoundException")
    check(srv.aws("cloudtrail", "list-channels", profile="dev")["Channels"] == [], "Dev lists mgmt's channel")
    # Update, and a second channel that is then deleted (and paging over two).
    upd = srv.aws("cloudtrail", "update-channel", "--channel", arn, "--name", "app-audit-events")
    check(upd["Name"] == "app-audit-events", f"{upd}")
    tmp = srv.aws("cloudtrail", "create-channel", "--name", "scratch", "--source", "Custom",
                  "--destinations", dest)["ChannelArn"]
    page = srv.aws("cloudtrail", "list-channels", "--max-results", "1", "--no-paginate")
    check(len(page["Channels"]) == 1 and page.get("NextToken"), f"{page}")
    rest = srv.aws("cloudtrail", "list-channels", "--max-results", "1", "--next-token", page["NextToken"],
                   "--no-paginate")
    check(len(rest["Channels"]) == 1 and rest["Channels"] != page["Channels"], f"{rest}")
    srv.aws("cloudtrail", "delete-channel", "--channel", tmp)
    srv.aws("cloudtrail", "get-channel", "--channel", tmp, expect_error="ChannelNotFoundException")
    return arn


def send_events(srv, arn):
    """Good events through boto3 and the CLI; returns {UID: eventID} of what must be delivered."""
    session = srv.boto3_session()
    data_client = session.client("cloudtrail-data", region_name=REGION, endpoint_url=srv.endpoint)
    delivered = {}
    e1, e2, e3 = (custom_event(f"uid-{i}-{uuid.uuid4()}") for i in range(3))
    bad_sum = custom_event("uid-badsum")
    resp = data_client.put_audit_events(channelArn=arn, auditEvents=[
        {"id": "one", "eventData": e1},
        {"id": "two", "eventData": e2, "eventDataChecksum": hashlib.sha256(e2.encode()).hexdigest()},
        {"id": "three", "eventData": e3,
         "eventDataChecksum": base64.b64encode(hashlib.sha256(e3.encode()).digest()).decode()},
        {"id": "four", "eventData": bad_sum, "eventDataChecksum": hashlib.sha256(b"other").hexdigest()},
    ])
    ok = {s["id"]: s["eventID"] for s in resp["successful"]}
    check(set(ok) == {"one", "two", "three"}, f"successful {resp}")
    check([(f["id"], f["errorCode"]) for f in resp["failed"]] == [("four", "InvalidChecksum")], f"failed {resp}")
    for ev, rid in ((e1, "one"), (e2, "two"), (e3, "three")):
        delivered[json.loads(ev)["UID"]] = ok[rid]

    # The stock CLI, with an event that is a whole CloudTrail record.
    record = {"eventVersion": "1.09", "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLE",
                                                     "accountId": "999999999999"},
              "eventTime": "2026-01-02T03:04:06Z", "eventSource": "onprem.example.com",
              "eventName": "Replicated", "awsRegion": REGION, "eventType": "AwsApiCall",
              "managementEvent": True, "eventCategory": "Management"}
    cli_custom = custom_event(f"uid-cli-{uuid.uuid4()}", name="CliEvent")
    events_file = os.path.join(tempfile.mkdtemp(), "events.json")
    with open(events_file, "w") as f:
        json.dump([{"id": "cli-1", "eventData": cli_custom},
                   {"id": "cli-2", "eventData": json.dumps(record)}], f)
    out = srv.aws("cloudtrail-data", "put-audit-events", "--channel-arn", arn,
                  "--audit-events", f"file://{events_file}")
    check(len(out["successful"]) == 2 and out["failed"] == [], f"CLI put-audit-events: {out}")
    by_id = {s["id"]: s["eventID"] for s in out["successful"]}
    delivered[json.loads(cli_custom)["UID"]] = by_id["cli-1"]
    delivered["record:Replicated"] = by_id["cli-2"]
    status = srv.aws("cloudtrail", "get-channel", "--channel", arn)["IngestionStatus"]
    check(status.get("LatestIngestionSuccessEventID") and status.get("LatestIngestionSuccessTime"),
          f"ingestion status {status}")
    return data_client, delivered


def bad_input(srv, arn, data_client, dev_account):
    port = srv.port
    creds = srv.credentials()
    path = "/PutAuditEvents?channelArn=" + arn.replace(":", "%3A").replace("/", "%2F")

    def raw(body, p=path):
        return signed(port, "cloudtrail-data", "POST", p, body=body,
                      headers={"Content-Type": "application/json"}, creds=creds)

    def raw_code(reply):
        try:
            return json.loads(reply.body).get("__type") or reply.header("X-Amzn-ErrorType")
        except ValueError:
            return reply.header("X-Amzn-ErrorType")

    cases = [
        ("malformed JSON", raw(b'{"auditEvents": [{"id": "a", "eventData": '), 400, "SerializationException"),
        ("invalid UTF-8", raw(b'{"auditEvents": [{"id": "a", "eventData": "\xff\xfe"}]}'), 400,
         "SerializationException"),
        ("deep body", raw(b'{"auditEvents": ' + b"[" * 100000 + b"]" * 100000 + b"}"), 400,
         "SerializationException"),
        ("oversize body", raw(json.dumps({"auditEvents": [
            {"id": f"e{i}", "eventData": "x" * 200000} for i in range(6)]}).encode()), 413, "RequestEntityTooLarge"),
        ("no events", raw(b'{"auditEvents": []}'), 400, "ValidationException"),
        ("bad ARN", raw(b'{"auditEvents": [{"id": "a", "eventData": "{}"}]}',
                        "/PutAuditEvents?channelArn=arn%3Aaws%3As3%3A%3A%3Ab"), 400, "InvalidChannelARN"),
        ("wrong signing service", signed(port, "cloudtrail", "POST", path, body=b'{"auditEvents": []}',
                                         creds=creds), 403, None),
    ]
    for what, reply, status, code in cases:
        check(reply.status == status, f"{what}: status {reply.status} {reply.body[:300]!r}")
        if code:
            check(raw_code(reply) == code, f"{what}: code {raw_code(reply)} {reply.body[:300]!r}")
        healthy(srv)

    # Per-event failures; the good event of the same call is kept.
    good = custom_event(f"uid-mixed-{uuid.uuid4()}")
    deep = json.dumps({"version": "1"})[:-1] + ', "x": ' + "[" * 500 + "]" * 500 + "}"
    resp = data_client.put_audit_events(channelArn=arn, auditEvents=[
        {"id": "good", "eventData": good},
        {"id": "big", "eventData": custom_event("big", requestParameters={"blob": "x" * 270000})},
        {"id": "notjson", "eventData": "{not json"},
        {"id": "deep", "eventData": deep},
        {"id": "missing", "eventData": json.dumps({"version": "1.0", "eventName": "x"})},
        {"id": "wrongtype", "eventData": custom_event("wt", eventName=7)},
        {"id": "unknownfield", "eventData": custom_event("uf", color="red")},
        {"id": "badtime", "eventData": custom_event("bt", eventTime="yesterday")},
        {"id": "otheraccount", "eventData": custom_event("oa", recipientAccountId=dev_account)},
        {"id": "bigparams", "eventData": custom_event("bp", requestParameters={"blob": "y" * 110000})},
    ])
    check([s["id"] for s in resp["successful"]] == ["good"], f"mixed: {resp['successful']}")
    failed = {f["id"]: f["errorCode"] for f in resp["failed"]}
    check(failed == {"big": "EventTooLarge", "notjson": "InvalidEventData", "deep": "InvalidEventData",
                     "missing": "InvalidEventData", "wrongtype": "InvalidEventData",
                     "unknownfield": "InvalidEventData", "badtime": "InvalidEventData",
                     "otheraccount": "InvalidEventData", "bigparams": "InvalidEventData"}, f"failed: {failed}")
    healthy(srv)

    # Whole-call errors.
    one = [{"id": "a", "eventData": custom_event("dup")}]
    client_error(lambda: data_client.put_audit_events(channelArn=arn, auditEvents=one + one),
                 "DuplicatedAuditEventId")
    unknown = arn.rsplit("/", 1)[0] + "/" + str(uuid.uuid4())
    client_error(lambda: data_client.put_audit_events(channelArn=unknown, auditEvents=one), "ChannelNotFound")
    client_error(lambda: data_client.put_audit_events(channelArn="arn:aws:cloudtrail:us-east-1:1:channel/x",
                                                      auditEvents=one), "InvalidChannelARN")
    dev = srv.boto3_session("dev").client("cloudtrail-data", region_name=REGION, endpoint_url=srv.endpoint)
    client_error(lambda: dev.put_audit_events(channelArn=arn, auditEvents=one), "ChannelInsufficientPermission")
    eu = srv.boto3_session().client("cloudtrail-data", region_name="eu-west-1", endpoint_url=srv.endpoint)
    client_error(lambda: eu.put_audit_events(channelArn=arn, auditEvents=one), "ChannelNotFound")
    healthy(srv)
    return json.loads(good)["UID"], resp["successful"][0]["eventID"]


def find_delivered(srv, bucket, org_id, mgmt, delivered):
    """Waits until every expected event is in a delivered log file; checks the converted records."""
    tmp = tempfile.mkdtemp()
    seen_files = set()
    found = {}
    deadline = time.time() + 90
    while True:
        for k in list_log_files(srv, bucket):
            if k in seen_files or "/CloudTrail/" not in k:
                continue
            seen_files.add(k)
            local = os.path.join(tmp, "f.json.gz")
            srv.aws("s3api", "get-object", "--bucket", bucket, "--key", k, local, profile="audit")
            with gzip.open(local, "rb") as f:
                for r in json.loads(f.read())["Records"]:
                    if r.get("eventCategory") == "ActivityAuditLog":
                        found[r["metadata"]["UID"]] = (k, r)
                    elif r.get("eventName") == "Replicated":
                        found["record:Replicated"] = (k, r)
        if set(delivered) <= set(found):
            break
        if time.time() > deadline:
            raise AssertionError(f"not delivered: {set(delivered) - set(found)}")
        time.sleep(0.5)
    for uid, event_id in delivered.items():
        key, r = found[uid]
        check(f"AWSLogs/{org_id}/{mgmt}/CloudTrail/{REGION}/" in key, f"{uid} delivered to {key}")
        check(r["eventID"] == event_id, f"{uid}: eventID {r['eventID']} != acknowledged {event_id}")
        check(r["recipientAccountId"] == mgmt and r["awsRegion"] == REGION, f"{r}")
        if uid == "record:Replicated":
            check(r["eventVersion"] == "1.09" and r["userIdentity"]["accountId"] == "999999999999", f"{r}")
            continue
        check(r["eventVersion"] == "1.11" and r["eventType"] == "ActivityLog", f"{r}")
        check(r["userIdentity"] == {"type": "ApplicationUser", "principalId": "alice@example.com",
                                    "details": {"team": "payments"}}, f"{r}")
        check(r["eventTime"] == "2026-01-02T03:04:05Z" and r["eventSource"] == "app.example.com", f"{r}")
        check(r["requestParameters"] == {"screen": "login"} and r["responseElements"] == {"result": "ok"}, f"{r}")
        check(r["sourceIPAddress"] == "203.0.113.7" and r["userAgent"] == "app/2.3", f"{r}")
        check(r["additionalEventData"] == {"mfa": True}, f"{r}")
        check(r["metadata"]["channelARN"].startswith(f"arn:aws:cloudtrail:{REGION}:{mgmt}:channel/"), f"{r}")
    return found


def put_audit_events(srv):
    mgmt, org_id, ids, bucket = setup_org_trail(srv)
    arn = channels(srv, mgmt)
    data_client, delivered = send_events(srv, arn)
    uid, event_id = bad_input(srv, arn, data_client, ids["Dev"])
    delivered[uid] = event_id
    found = find_delivered(srv, bucket, org_id, mgmt, delivered)
    # None of the refused events reached a log file.
    check(not {"uid-badsum", "big", "dup", "bp", "oa"} & set(found), f"refused events delivered: {found.keys()}")
    srv.aws("cloudtrail", "delete-channel", "--channel", arn)
    client_error(lambda: data_client.put_audit_events(
        channelArn=arn, auditEvents=[{"id": "late", "eventData": custom_event("late")}]), "ChannelNotFound")
    healthy(srv)


if __name__ == "__main__":
    run(put_audit_events, "--delivery-interval", "1s")
