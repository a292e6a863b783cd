"""Raw signed HTTP requests for the bad-input tests, signed by botocore's own SigV4 signer
(the real one, not a copy), with knobs to break the signature, skew the clock or drop auth."""
import datetime
import http.client
from unittest import mock

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


class Reply:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def __repr__(self):
        return f"<Reply {self.status} {self.body[:400]!r}>"


def send(endpoint_port, method, path, body=b"", headers=None, timeout=30):
    conn = http.client.HTTPConnection("127.0.0.1", endpoint_port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return Reply(r.status, r.getheaders(), r.read())
    finally:
        conn.close()


def signed(port, service, method, path, body=b"", headers=None, creds=None, region="us-east-1",
           skew=None, tamper=None, s3=False):
    """Signs with botocore; `skew` shifts the signing clock; `tamper(headers)` edits after signing."""
    url = f"http://127.0.0.1:{port}{path}"
    req = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    cls = botocore.auth.S3SigV4Auth if s3 else botocore.auth.SigV4Auth
    signer = cls(Credentials(*creds), service, region)
    if skew is not None:
        fake_now = datetime.datetime.utcnow() + skew
        with mock.patch("botocore.auth.get_current_datetime", return_value=fake_now):
            signer.add_auth(req)
    else:
        signer.add_auth(req)
    prepared = req.prepare()
    out_headers = dict(prepared.headers)
    if tamper:
        tamper(out_headers)
    return send(port, method, path, body=body, headers=out_headers)
