"""Runs the stock AWS CLI's validate-logs traverser over a directory bucket.

Test helper for digest_writer_test and validate/ tests: proves that the
digests orgtrail writes are accepted (and tampering detected) by the CLI's
own DigestTraverser / Sha256RSADigestValidator classes, without a server.

usage: stock_cli_verify.py ROOT SPEC.json
ROOT/objects.json: [{"bucket","key","file","metadata":{...}}]; bytes in ROOT/<file>.
SPEC.json: {"trail_arn","account_id","region","org_id","bucket","prefix",
            "start","end","public_keys":[{"Fingerprint","Value"}]}
Prints a JSON report on stdout.
"""
import hashlib
import io
import json
import os
import sys
import zlib

from botocore.exceptions import ClientError
from dateutil import parser

from awscli.customizations.cloudtrail import validation as v


class FakeBody(io.BytesIO):
    pass


class FakeS3:
    def __init__(self, objects):
        self.objects = objects  # (bucket, key) -> (bytes, metadata)

    def get_paginator(self, name):
        assert name == 'list_objects'
        s3 = self

        class Pages:
            def __init__(self, bucket, marker, prefix):
                self.keys = sorted(k for (b, k) in s3.objects
                                   if b == bucket and k > marker and k.startswith(prefix))

            def search(self, expr):
                return iter(self.keys)

        class Paginator:
            def paginate(self, Bucket, Marker='', Prefix=''):
                return Pages(Bucket, Marker, Prefix)

        return Paginator()

    def get_object(self, Bucket, Key):
        if (Bucket, Key) not in self.objects:
            raise ClientError({'Error': {'Code': 'NoSuchKey', 'Message': 'not found'}},
                              'GetObject')
        data, meta = self.objects[(Bucket, Key)]
        return {'Body': FakeBody(data), 'Metadata': dict(meta)}


class FakeProvider:
    def __init__(self, s3):
        self.s3 = s3

    def get_client(self, bucket):
        return self.s3


class FakeCloudTrail:
    def __init__(self, keys):
        self.keys = keys

    def list_public_keys(self, StartTime, EndTime):
        return {'PublicKeyList': self.keys}


def main():
    root, spec_path = sys.argv[1], sys.argv[2]
    spec = json.load(open(spec_path))
    objects = {}
    for o in json.load(open(os.path.join(root, 'objects.json'))):
        with open(os.path.join(root, o['file']), 'rb') as f:
            objects[(o['bucket'], o['key'])] = (f.read(), o.get('metadata', {}))
    s3 = FakeS3(objects)
    report = {'valid_digests': [], 'invalid_digests': [], 'missing_digests': [], 'gaps': 0,
              'valid_logs': [], 'invalid_logs': []}

    def on_invalid(message, **kw):
        report['invalid_digests'].append(message)

    def on_missing(bucket, last_key, **kw):
        report['missing_digests'].append(last_key)

    def on_gap(**kw):
        report['gaps'] += 1

    arn = spec['trail_arn']
    provider = v.DigestProvider(
        s3_client_provider=FakeProvider(s3), account_id=spec['account_id'],
        trail_name=arn.split('/')[-1], trail_home_region=arn.split(':')[3],
        trail_source_region=spec['region'], organization_id=spec.get('org_id') or None)
    traverser = v.DigestTraverser(
        digest_provider=provider, starting_bucket=spec['bucket'],
        starting_prefix=spec.get('prefix') or None,
        public_key_provider=v.PublicKeyProvider(FakeCloudTrail(spec['public_keys'])),
        on_invalid=on_invalid, on_missing=on_missing, on_gap=on_gap)
    start = v.normalize_date(parser.parse(spec['start']))
    end = v.normalize_date(parser.parse(spec['end']))
    for digest in traverser.traverse_digests(start, end):
        report['valid_digests'].append(digest['digestS3Object'])
        for log in digest['logFiles']:
            name = log['s3Object']
            try:
                body = s3.get_object(Bucket=log['s3Bucket'], Key=name)['Body']
                inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
                h = hashlib.sha256()
                for chunk in iter(lambda: body.read(2048), b''):
                    h.update(inflater.decompress(chunk))
                h.update(inflater.flush())
                if h.hexdigest() == log['hashValue']:
                    report['valid_logs'].append(name)
                else:
                    report['invalid_logs'].append(name + "\thash value doesn't match")
            except ClientError:
                report['invalid_logs'].append(name + '\tnot found')
            except Exception:
                report['invalid_logs'].append(name + '\tinvalid format')
    json.dump(report, sys.stdout)


if __name__ == '__main__':
    main()
