"""Runs Debian's AWS CLI 2.9 (package `awscli`, /usr/bin/aws) against a local endpoint, without
disturbing the AWS CLI v1 that the other tests use.

Both CLIs are the python package `awscli`; v1 comes first on the usual PATH and sys.path. So this
wrapper re-executes itself with Debian's interpreter in isolated mode (`/usr/bin/python3 -I`: no
PYTHONPATH, no user site) and puts /usr/lib/python3/dist-packages first on sys.path, so `awscli` is
the 2.9 package and its bundled botocore. AWS CLI 2.9 knows no AWS_ENDPOINT_URL, and its
--endpoint-url reaches only the command's own client (validate-logs makes its S3 and Organizations
clients itself), so every client the CLI's driver creates gets `endpoint_url` forced (aws-compat.md
§6.4, the in-process wrapper). Everything else, output and exit codes included, is the stock CLI.

Usage: aws_v2.py --endpoint http://127.0.0.1:PORT -- <aws arguments...>
Exits 3 with a message when the 2.9 CLI is not installed."""
import os
import sys

DEBIAN_PYTHON = "/usr/bin/python3"
DEBIAN_SITE = "/usr/lib/python3/dist-packages"


def main(argv):
    if "--" not in argv or argv[:1] != ["--endpoint"]:
        print("usage: aws_v2.py --endpoint URL -- <aws arguments>", file=sys.stderr)
        return 2
    endpoint = argv[1]
    args = argv[argv.index("--") + 1:]
    if sys.executable != DEBIAN_PYTHON or not sys.flags.isolated:
        if not os.path.exists(DEBIAN_PYTHON) or not os.path.isdir(os.path.join(DEBIAN_SITE, "awscli")):
            print("aws_v2.py: Debian's awscli (AWS CLI 2.9) is not installed", file=sys.stderr)
            return 3
        os.execv(DEBIAN_PYTHON, [DEBIAN_PYTHON, "-I", os.path.abspath(__file__), *argv])
    sys.path.insert(0, DEBIAN_SITE)
    import awscli  # noqa: E402  (first: it makes its bundled botocore importable as `botocore`)
    import awscli.clidriver  # noqa: E402
    if not awscli.__version__.startswith("2."):
        print(f"aws_v2.py: found awscli {awscli.__version__} in {awscli.__file__}, not 2.x", file=sys.stderr)
        return 3
    driver = awscli.clidriver.create_clidriver(args)
    create_client = driver.session.create_client

    def create_local_client(service_name, *a, **kw):
        kw["endpoint_url"] = kw.get("endpoint_url") or endpoint
        return create_client(service_name, *a, **kw)

    driver.session.create_client = create_local_client
    return awscli.clidriver.AWSCLIEntryPoint(driver).main(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
