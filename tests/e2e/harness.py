"""End-to-end test harness: starts the real orgtraild on a free port in a temp dir
and drives it with the stock AWS CLI (v1, the `aws` on PATH) and boto3.

Every helper fails loudly; a test that cannot reach the server fails, it never skips.
"""
import configparser
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ORGTRAILD = os.environ.get("ORGTRAILD", os.path.join(os.path.dirname(__file__), "../../build/bin/orgtraild"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One orgtraild process with its own data dir and port."""

    def __init__(self, extra_args=(), data_dir=None, port=None):
        self.tmp = tempfile.mkdtemp(prefix="orgtrail-e2e-")
        self.data_dir = data_dir or os.path.join(self.tmp, "data")
        self.port = port or free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.extra_args = list(extra_args)
        self.proc = None
        self.log_path = os.path.join(self.tmp, "orgtraild.log")

    def start(self):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [ORGTRAILD, "--data-dir", self.data_dir, "--listen", f"127.0.0.1:{self.port}", *self.extra_args],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"orgtraild exited with {self.proc.returncode}:\n{self.read_log()}")
            try:
                with urllib.request.urlopen(self.endpoint + "/_orgtrail/health", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("orgtraild did not become healthy:\n" + self.read_log())

    def read_log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")[-8000:]
        except OSError:
            return ""

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode if self.proc else None
        self.proc = None
        return rc

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # --- AWS CLI and boto3 -------------------------------------------------
    @property
    def config_file(self):
        return os.path.join(self.data_dir, "aws", "config")

    @property
    def credentials_file(self):
        return os.path.join(self.data_dir, "aws", "credentials")

    def cli_env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env["AWS_CONFIG_FILE"] = self.config_file
        env["AWS_SHARED_CREDENTIALS_FILE"] = self.credentials_file
        env["AWS_RETRY_MODE"] = "standard"
        env["AWS_MAX_ATTEMPTS"] = "1"
        return env

    def add_role_profile(self, name, account_id, role="OrganizationAccountAccessRole", region="us-east-1"):
        """Adds a profile that reaches `account_id` through role assumption, as on AWS."""
        cp = configparser.RawConfigParser()
        cp.read(self.config_file)
        sec = f"profile {name}"
        if not cp.has_section(sec):
            cp.add_section(sec)
        cp.set(sec, "role_arn", f"arn:aws:iam::{account_id}:role/{role}")
        cp.set(sec, "source_profile", "management")
        cp.set(sec, "region", region)
        cp.set(sec, "endpoint_url", self.endpoint)
        with open(self.config_file, "w") as f:
            cp.write(f)

    def aws(self, *args, profile="management", check=True, expect_error=None):
        """Runs the stock AWS CLI; returns parsed JSON output (or {} for empty)."""
        cmd = ["aws", "--profile", profile, "--output", "json", *args]
        p = subprocess.run(cmd, env=self.cli_env(), capture_output=True, text=True, timeout=120)
        if expect_error is not None:
            if p.returncode == 0:
                raise AssertionError(f"expected {expect_error} from {' '.join(args)}, got success: {p.stdout}")
            if expect_error not in p.stderr:
                raise AssertionError(f"expected {expect_error} from {' '.join(args)}, got rc={p.returncode}: {p.stderr}")
            return p.stderr
        if check and p.returncode != 0:
            raise AssertionError(f"aws {' '.join(args)} failed rc={p.returncode}:\n{p.stderr}\n--- server log ---\n{self.read_log()}")
        out = p.stdout.strip()
        return json.loads(out) if out.startswith(("{", "[")) else out

    def boto3_session(self, profile="management"):
        import boto3
        os.environ["AWS_CONFIG_FILE"] = self.config_file
        os.environ["AWS_SHARED_CREDENTIALS_FILE"] = self.credentials_file
        for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_REGION"):
            os.environ.pop(k, None)
        return boto3.Session(profile_name=profile)

    def credentials(self, profile="management"):
        cp = configparser.RawConfigParser()
        cp.read(self.credentials_file)
        return cp.get(profile, "aws_access_key_id"), cp.get(profile, "aws_secret_access_key")


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def run(test_fn, *server_args):
    """Runs one test function with a fresh server; prints the server log on failure."""
    srv = Server(extra_args=server_args).start()
    try:
        test_fn(srv)
        print(f"{test_fn.__name__}: OK")
    except BaseException:
        print("--- orgtraild log ---\n" + srv.read_log(), file=sys.stderr)
        raise
    finally:
        srv.cleanup()
