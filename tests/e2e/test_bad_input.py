"""Bad input on every codec: malformed JSON and XML, wrong types, unknown operations, oversize
bodies, bad signatures, unknown keys, expired and skewed requests, hostile object keys. Each
must get the right AWS error, change nothing, and leave the server up."""
import datetime
import json

from harness import check, run
from rawclient import send, signed

JSON_CT = "application/x-amz-json-1.1"
FORM_CT = "application/x-www-form-urlencoded; charset=utf-8"


def err_code(reply):
    body = reply.body.decode(errors="replace")
    if body.startswith("{"):
        j = json.loads(body)
        return j.get("__type", "").split("#")[-1]
    if "<Code>" in body:
        return body.split("<Code>")[1].split("</Code>")[0]
    return str(reply.status)


def expect(reply, status, code, what):
    check(reply.status == status and err_code(reply) == code,
          f"{what}: expected {status} {code}, got {reply.status} {reply.body[:300]!r}")
    rid = reply.header("x-amzn-RequestId") or reply.header("x-amz-request-id")
    check(rid, f"{what}: no request id header")


def bad_input(srv):
    port = srv.port
    creds = srv.credentials()
    kms = lambda op, body, **kw: signed(port, "kms", "POST", "/", body=body, creds=kw.pop("creds", creds),
                                        headers={"Content-Type": JSON_CT, "X-Amz-Target": f"TrentService.{op}"}, **kw)
    iam = lambda body, **kw: signed(port, "iam", "POST", "/", body=body, creds=kw.pop("creds", creds),
                                    headers={"Content-Type": FORM_CT}, **kw)

    # A baseline that works, and state to protect.
    ok = kms("CreateKey", b'{"Description":"keep me"}')
    check(ok.status == 200, f"baseline CreateKey failed: {ok}")
    key_id = json.loads(ok.body)["KeyMetadata"]["KeyId"]
    s3_ok = signed(port, "s3", "PUT", "/keep-bucket", creds=creds, s3=True)
    check(s3_ok.status == 200, f"baseline CreateBucket failed: {s3_ok}")
    put = signed(port, "s3", "PUT", "/keep-bucket/kept", body=b"kept", creds=creds, s3=True)
    check(put.status == 200, f"baseline PutObject: {put}")

    # JSON 1.1 codec.
    expect(kms("ListKeys", b"{not json"), 400, "SerializationException", "malformed JSON")
    expect(kms("ListKeys", b"[1,2]"), 400, "SerializationException", "JSON not an object")
    wrong_type = kms("CreateKey", b'{"Description": 5}')
    check(wrong_type.status == 400 and err_code(wrong_type) in ("SerializationException", "ValidationException"),
          f"wrong type: {wrong_type}")
    expect(kms("NoSuchOperation", b"{}"), 400, "UnknownOperationException", "unknown JSON op")
    expect(kms("DescribeKey", b'{"KeyId":"not-a-key"}'), 400, "NotFoundException", "unknown key")

    # Query codec.
    expect(iam(b"Action=NoSuchAction&Version=2010-05-08"), 400, "InvalidAction", "unknown Query action")
    r = iam(b"Action=CreateRole&Version=2010-05-08&RoleName=r1&AssumeRolePolicyDocument=%7Bnot")
    expect(r, 400, "MalformedPolicyDocument", "malformed trust policy")
    r = iam(b"Action=GetRole&Version=2010-05-08&RoleName=nobody")
    expect(r, 404, "NoSuchEntity", "missing role")

    # S3 (REST-XML) codec.
    r = signed(port, "s3", "PUT", "/keep-bucket?lifecycle", body=b"<LifecycleConfiguration><Rule>", creds=creds, s3=True)
    expect(r, 400, "MalformedXML", "malformed lifecycle XML")
    r = signed(port, "s3", "PUT", "/keep-bucket?policy", body=b"{not a policy", creds=creds, s3=True)
    expect(r, 400, "MalformedPolicy", "malformed bucket policy")
    r = signed(port, "s3", "GET", "/keep-bucket/missing", creds=creds, s3=True)
    expect(r, 404, "NoSuchKey", "missing key")
    r = signed(port, "s3", "GET", "/no-such-bucket-here", creds=creds, s3=True)
    expect(r, 404, "NoSuchBucket", "missing bucket")
    r = signed(port, "s3", "PUT", "/Bad_Bucket", creds=creds, s3=True)
    expect(r, 400, "InvalidBucketName", "bad bucket name")

    # Hostile object keys.
    long_key = "k" * 1100
    r = signed(port, "s3", "PUT", "/keep-bucket/" + long_key, body=b"x", creds=creds, s3=True)
    expect(r, 400, "KeyTooLongError", "key over 1024 bytes")
    for hostile in ("../../../etc/passwd", "a/../../b", "%2E%2E/%2E%2E/x", "a//b"):
        r = signed(port, "s3", "PUT", "/keep-bucket/" + hostile, body=b"hostile", creds=creds, s3=True)
        check(r.status == 200, f"hostile key {hostile} should be stored as a plain key: {r}")
        g = signed(port, "s3", "GET", "/keep-bucket/" + hostile, creds=creds, s3=True)
        check(g.status == 200 and g.body == b"hostile", f"hostile key {hostile} read back: {g}")
    r = signed(port, "s3", "PUT", "/keep-bucket/bad%FFutf8", body=b"x", creds=creds, s3=True)
    check(r.status == 400, f"non-UTF-8 key must be refused: {r}")
    r = signed(port, "s3", "GET", "/keep-bucket/bad%ZZescape", creds=creds, s3=True)
    check(400 <= r.status < 500, f"invalid escape must be a client error: {r}")

    # Signatures and credentials.
    def break_sig(h):
        h["Authorization"] = h["Authorization"][:-4] + ("0000" if not h["Authorization"].endswith("0000") else "1111")
    expect(kms("ListKeys", b"{}", tamper=break_sig), 400, "InvalidSignatureException", "JSON bad signature")
    expect(iam(b"Action=ListRoles&Version=2010-05-08", tamper=break_sig), 403, "SignatureDoesNotMatch", "Query bad signature")
    expect(signed(port, "s3", "GET", "/keep-bucket/kept", creds=creds, s3=True, tamper=break_sig), 403,
           "SignatureDoesNotMatch", "S3 bad signature")
    bogus = ("AKIAXXXXXXXXXXXXXXXX", "x" * 40)
    check(err_code(kms("ListKeys", b"{}", creds=bogus)) == "UnrecognizedClientException", "JSON unknown key")
    expect(iam(b"Action=ListRoles&Version=2010-05-08", creds=bogus), 403, "InvalidClientTokenId", "Query unknown key")
    expect(signed(port, "s3", "GET", "/keep-bucket/kept", creds=bogus, s3=True), 403, "InvalidAccessKeyId", "S3 unknown key")
    skew = datetime.timedelta(minutes=20)
    expect(signed(port, "s3", "GET", "/keep-bucket/kept", creds=creds, s3=True, skew=skew), 403,
           "RequestTimeTooSkewed", "S3 skew ahead")
    expect(signed(port, "s3", "GET", "/keep-bucket/kept", creds=creds, s3=True, skew=-skew), 403,
           "RequestTimeTooSkewed", "S3 skew behind")
    expect(kms("ListKeys", b"{}", skew=-skew), 400, "InvalidSignatureException", "JSON skew")
    expect(iam(b"Action=ListRoles&Version=2010-05-08", skew=skew), 403, "SignatureDoesNotMatch", "Query skew")
    # Body changed after signing.
    r = signed(port, "kms", "POST", "/", body=b'{"Limit":1}', creds=creds,
               headers={"Content-Type": JSON_CT, "X-Amz-Target": "TrentService.ListKeys"})
    check(r.status == 200, f"signed ListKeys: {r}")
    r = signed(port, "s3", "PUT", "/keep-bucket/kept", body=b"evil", creds=creds, s3=True,
               tamper=lambda h: h.update({"X-Amz-Content-SHA256": "0" * 64}))
    check(r.status in (400, 403), f"S3 payload hash mismatch must be refused: {r}")
    # No authentication at all.
    r = send(port, "POST", "/", body=b"{}", headers={"Content-Type": JSON_CT, "X-Amz-Target": "TrentService.ListKeys"})
    check(r.status in (400, 403) and err_code(r).startswith("MissingAuthenticationToken"), f"JSON unsigned: {r}")
    r = send(port, "POST", "/", body=b"Action=ListRoles&Version=2010-05-08", headers={"Content-Type": FORM_CT})
    expect(r, 403, "MissingAuthenticationToken", "Query unsigned")
    r = send(port, "GET", "/keep-bucket/kept")
    expect(r, 403, "AccessDenied", "S3 anonymous")
    # Expired presigned URL.
    import botocore.session
    sess = botocore.session.Session()
    client = sess.create_client("s3", region_name="us-east-1", endpoint_url=srv.endpoint,
                                aws_access_key_id=creds[0], aws_secret_access_key=creds[1],
                                config=botocore.config.Config(signature_version="s3v4"))
    good = client.generate_presigned_url("get_object", Params={"Bucket": "keep-bucket", "Key": "kept"}, ExpiresIn=60)
    r = send(port, "GET", good[len(srv.endpoint):])
    check(r.status == 200 and r.body == b"kept", f"presigned GET: {r}")
    import unittest.mock as um
    past = datetime.datetime.utcnow() - datetime.timedelta(minutes=10)
    with um.patch("botocore.auth.get_current_datetime", return_value=past):
        old = client.generate_presigned_url("get_object", Params={"Bucket": "keep-bucket", "Key": "kept"}, ExpiresIn=5)
    r = send(port, "GET", old[len(srv.endpoint):])
    expect(r, 403, "AccessDenied", "expired presigned URL")

    # Oversize bodies: refused, and the server keeps serving.
    big = b'{"Description":"' + b"x" * (2 * 1024 * 1024) + b'"}'
    r = signed(port, "kms", "POST", "/", body=big, creds=creds,
               headers={"Content-Type": JSON_CT, "X-Amz-Target": "TrentService.CreateKey"})
    check(r.status in (400, 413), f"oversize JSON body must be refused: {r}")
    # A 70 MiB body announced with Expect: 100-continue is refused before it is sent.
    import socket
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + JSON_CT.encode() +
                     b"\r\nX-Amz-Target: TrentService.ListKeys\r\nExpect: 100-continue\r\n"
                     b"Content-Length: 73400320\r\n\r\n")
        head = sock.recv(4096).decode(errors="replace")
    check(head.startswith("HTTP/1.1 413") or head.startswith("HTTP/1.1 400"),
          f"huge body must be refused without reading it: {head[:200]!r}")

    # Nothing accepted before was lost, and the server is still up.
    check(srv.alive(), "server died")
    keys = json.loads(kms("ListKeys", b"{}").body)["Keys"]
    check(sum(1 for k in keys if k["KeyId"] == key_id) == 1, f"created key lost or duplicated: {keys}")
    g = signed(port, "s3", "GET", "/keep-bucket/kept", creds=creds, s3=True)
    check(g.status == 200 and g.body == b"kept", f"kept object changed: {g}")
    check(send(port, "GET", "/_orgtrail/health").status == 200, "health after abuse")


if __name__ == "__main__":
    run(bad_input)
