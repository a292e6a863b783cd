#!/usr/bin/env python3
"""Regenerates botocore_vectors.json: requests signed by botocore's own SigV4
signers (SigV4Auth, S3SigV4Auth, SigV4QueryAuth, S3SigV4QueryAuth), which
sigv4_test.cc feeds to auth::Verifier. Runs offline:

    python3 src/auth/testdata/gen_botocore_vectors.py > src/auth/testdata/botocore_vectors.json
"""
import base64
import datetime
import json
from unittest import mock
from urllib.parse import urlsplit

import botocore
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

TIME = datetime.datetime(2026, 11, 26, 16, 34, 53)
AKID = 'AKIAORGTRAILTEST0001'
SECRET = 'orgtrailTestSecretKey/0123456789+abcdefgh'
ASIA = 'ASIAORGTRAILTEST0002'
ASIA_SECRET = 'sessionSecret/9876543210+zyxwvutsrqponm'
TOKEN = 'FwoGZXIvYXdzEOrgtrailSessionToken+/=='
HOST = '127.0.0.1:18081'


def sign(name, signer_cls, method, url, headers, body, service, region, creds,
         is_s3, **kw):
    req = AWSRequest(method=method, url=url, headers=headers, data=body)
    with mock.patch('botocore.auth.get_current_datetime', return_value=TIME):
        signer = signer_cls(creds, service, region, **kw)
        signer.add_auth(req)
    prepared = req.prepare()
    parts = urlsplit(prepared.url)
    target = parts.path + (('?' + parts.query) if parts.query else '')
    hdrs = [[k, v.decode() if isinstance(v, bytes) else v]
            for k, v in prepared.headers.items()]
    if not any(k.lower() == 'host' for k, _ in hdrs):
        hdrs.append(['Host', HOST])
    raw = body if isinstance(body, bytes) else (body or '').encode()
    return {
        'name': name, 'method': method, 'target': target, 'headers': hdrs,
        'body_b64': base64.b64encode(raw).decode(), 'is_s3': is_s3,
        'service': service, 'region': region, 'time': TIME.strftime('%Y%m%dT%H%M%SZ'),
    }


def main():
    long_creds = Credentials(AKID, SECRET)
    session_creds = Credentials(ASIA, ASIA_SECRET, TOKEN)
    base = 'http://' + HOST
    vectors = [
        sign('json-cloudtrail', botocore.auth.SigV4Auth, 'POST', base + '/',
             {'Content-Type': 'application/x-amz-json-1.1',
              'X-Amz-Target': 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.ListPublicKeys',
              'User-Agent': 'aws-cli/1.45'},
             b'{}', 'cloudtrail', 'eu-west-1', long_creds, False),
        sign('query-sts-session', botocore.auth.SigV4Auth, 'POST', base + '/',
             {'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8'},
             b'Action=GetCallerIdentity&Version=2011-06-15', 'sts', 'us-east-1',
             session_creds, False),
        sign('query-iam-spaces-in-header', botocore.auth.SigV4Auth, 'POST', base + '/',
             {'Content-Type': 'application/x-www-form-urlencoded;   charset=utf-8',
              'X-Custom': '  a   b  '},
             b'Action=ListUsers&Version=2010-05-08', 'iam', 'us-east-1', long_creds, False),
        sign('rest-json-put-audit-events', botocore.auth.SigV4Auth, 'POST',
             base + '/PutAuditEvents?channelArn=arn%3Aaws%3Acloudtrail%3Aus-east-1%3A111122223333%3Achannel%2Fabc',
             {'Content-Type': 'application/json'}, b'{"auditEvents":[]}',
             'cloudtrail-data', 'us-east-1', long_creds, False),
        sign('s3-list-objects', botocore.auth.S3SigV4Auth, 'GET',
             base + '/trail-bucket?encoding-type=url&marker=pfx%2FAWSLogs%2F111122223333%2F&prefix=pfx%2F',
             {}, b'', 's3', 'us-east-1', long_creds, True),
        sign('s3-get-object-odd-key', botocore.auth.S3SigV4Auth, 'GET',
             base + '/trail-bucket/AWSLogs/a%20b/%C3%A9t%C3%A9~x%2Bplus.json.gz',
             {'x-amz-checksum-mode': 'ENABLED'}, b'', 's3', 'us-east-1', long_creds, True),
        sign('s3-put-object', botocore.auth.S3SigV4Auth, 'PUT',
             base + '/trail-bucket/key.txt', {'Content-Type': 'text/plain'},
             b'hello orgtrail\n', 's3', 'us-west-2', session_creds, True),
        sign('s3-location-bare-param', botocore.auth.S3SigV4Auth, 'GET',
             base + '/trail-bucket?location', {}, b'', 's3', 'us-east-1', long_creds, True),
        sign('s3-presigned-get', botocore.auth.S3SigV4QueryAuth, 'GET',
             base + '/trail-bucket/AWSLogs/file.json.gz', {}, b'', 's3', 'us-east-1',
             long_creds, True, expires=3600),
        sign('s3-presigned-get-session', botocore.auth.S3SigV4QueryAuth, 'GET',
             base + '/trail-bucket/x%20y.json', {}, b'', 's3', 'us-east-1',
             session_creds, True, expires=600),
        sign('sts-presigned', botocore.auth.SigV4QueryAuth, 'GET',
             base + '/?Action=GetCallerIdentity&Version=2011-06-15', {}, b'', 'sts',
             'us-east-1', long_creds, False, expires=900),
    ]
    print(json.dumps({
        'botocore_version': botocore.__version__,
        'credentials': [
            {'access_key_id': AKID, 'secret': SECRET},
            {'access_key_id': ASIA, 'secret': ASIA_SECRET, 'session_token': TOKEN},
        ],
        'vectors': vectors,
    }, indent=1))


if __name__ == '__main__':
    main()
