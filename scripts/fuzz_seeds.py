#!/usr/bin/env python3
"""Writes the seed corpora of the libFuzzer targets (`make fuzz`) from the tests' data.

    scripts/fuzz_seeds.py OUT_DIR

OUT_DIR/<target>/ receives one file per seed, in each target's input format
(see the *_fuzz_main.cc file comments):
  policy_fuzz     byte 0 = policy kind, then a policy document: every policy literal
                  ({"Version":"2012-10-17",...}) in src/*/*_test.cc
  condition_fuzz  "operator\\nkey\\nv1|v2\\nctxkey=v|v..." from those policies' Condition blocks
  sigv4_fuzz      "method\\ntarget\\nheaders\\n\\nbody" from src/auth/testdata/botocore_vectors.json
  template_fuzz   src/cfn/testdata/*.yaml, the raw-string templates in src/cfn/*_test.cc and
                  the YAML features below (anchors, block scalars, tags, documents)
"""
import base64
import glob
import hashlib
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# A context with the keys the services send, so seeds reach both outcomes.
CONTEXT = [
    "aws:SourceArn=arn:aws:cloudtrail:us-east-1:111111111111:trail/org-trail",
    "aws:SourceAccount=111111111111",
    "aws:PrincipalOrgID=o-abcdef1234",
    "aws:SourceIp=203.0.113.7",
    "aws:CurrentTime=2026-11-26T15:01:31Z",
    "aws:SecureTransport=true",
    "s3:x-amz-acl=bucket-owner-full-control",
    "kms:EncryptionContext:aws:cloudtrail:arn=arn:aws:cloudtrail:us-east-1:111111111111:trail/org-trail",
    "aws:TagKeys=team|env",
]


# YAML shapes the test templates do not use, so the fuzzer starts from every
# part of cfn/template.cc's event reader.
TEMPLATE_FEATURES = [
    "%YAML 1.1\n---\nResources:\n  B: {Type: AWS::S3::Bucket}\n...\n",
    "Resources:\n  B: &b\n    Type: AWS::S3::Bucket\n    Properties: {Tags: &t [{Key: k, Value: v}]}\n"
    "  C:\n    Type: AWS::S3::Bucket\n    Properties: {Tags: *t}\nOutputs: {O: {Value: *b}}\n",
    "Description: |+\n  keep\n\nMetadata:\n  F: >-\n    folded\n    text\n  L: |2\n     x\n"
    "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: !Sub |\n        b-${AWS::Region}\n",
    "Resources: {B: {Type: AWS::S3::Bucket, Properties: {BucketName: !Join ['-', [!Ref AWS::StackName,"
    " !Select [0, !Split [',', 'a,b']]]]}}}\n",
    "? Resources\n: B: {Type: !!str AWS::S3::Bucket, Metadata: {i: !!int 7, b: !!bool true, n: ~}}\n",
    "a: 1\n---\nb: 2\n",
    "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n",
    "Resources:\n  B:\n    Type: \"AWS::S3::Bucket\"\n    Condition: C\nConditions:\n"
    "  C: !And [!Equals [!Ref AWS::Region, 'us-east-1'], !Not [!Condition D]]\n  D: !Or [true, false]\n",
]


def template_literals():
    """Raw-string literals R"(...)" in the cfn unit tests that look like YAML templates."""
    found = []
    for path in sorted(glob.glob(os.path.join(ROOT, "src", "cfn", "*_test.cc"))):
        text = open(path, encoding="utf-8", errors="replace").read()
        found += [m.group(1) for m in re.finditer(r'R"\((.*?)\)"', text, re.S) if ":" in m.group(1)]
    return found


def write(out, target, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def test_policies():
    """JSON policy literals in the unit tests (raw strings R"(...)" holding a Version)."""
    found = []
    for path in sorted(glob.glob(os.path.join(ROOT, "src", "*", "*_test.cc"))):
        text = open(path, encoding="utf-8", errors="replace").read()
        for m in re.finditer(r'R"\((\{\s*"Version".*?)\)"', text, re.S):
            try:
                found.append(json.loads(m.group(1)))
            except ValueError:
                found.append(m.group(1))  # a deliberately broken one is a good seed too
    return found


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    policies = test_policies()
    for p in policies:
        doc = p if isinstance(p, str) else json.dumps(p)
        for kind in (0, 1, 2, 5, 9):
            write(out, "policy_fuzz", bytes([kind]) + doc.encode())
        if isinstance(p, str):
            continue
        statements = p.get("Statement", [])
        for st in statements if isinstance(statements, list) else [statements]:
            cond = st.get("Condition") if isinstance(st, dict) else None
            if not isinstance(cond, dict):
                continue
            for op, block in cond.items():
                if not isinstance(block, dict):
                    continue
                for key, values in block.items():
                    vals = values if isinstance(values, list) else [values]
                    line = "|".join(str(v).lower() if isinstance(v, bool) else str(v) for v in vals)
                    write(out, "condition_fuzz", "\n".join([op, key, line] + CONTEXT))
    vectors = json.load(open(os.path.join(ROOT, "src", "auth", "testdata", "botocore_vectors.json")))
    for v in vectors["vectors"]:
        head = "\n".join(f"{k}: {val}" for k, val in v["headers"])
        body = base64.b64decode(v.get("body_b64", ""))
        write(out, "sigv4_fuzz", f"{v['method']}\n{v['target']}\n{head}\n\n".encode() + body)
    for path in sorted(glob.glob(os.path.join(ROOT, "src", "cfn", "testdata", "*.yaml"))):
        write(out, "template_fuzz", open(path, "rb").read())
    for body in template_literals() + TEMPLATE_FEATURES:
        write(out, "template_fuzz", body)
    for target in sorted(os.listdir(out)):
        print(f"fuzz_seeds: {target}: {len(os.listdir(os.path.join(out, target)))} seeds")


if __name__ == "__main__":
    main()
