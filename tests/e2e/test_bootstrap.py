"""First start: the management account, its root key, the AWS CLI files, sealed secrets,
restart keeps the account, SIGTERM shuts down cleanly."""
import os
import stat
import subprocess

from harness import Server, check


def main():
    srv = Server().start()
    try:
        d = srv.data_dir
        for sub in ("catalog.db", "keys/master.key", "aws/config", "aws/credentials"):
            check(os.path.exists(os.path.join(d, sub)), f"missing {sub} in the data dir")
        mode = stat.S_IMODE(os.stat(os.path.join(d, "keys/master.key")).st_mode)
        check(mode == 0o600, f"master.key mode is {oct(mode)}, want 0600")
        mode = stat.S_IMODE(os.stat(os.path.join(d, "aws/credentials")).st_mode)
        check(mode & 0o077 == 0, f"credentials file readable by others: {oct(mode)}")
        config = open(srv.config_file).read()
        check("[profile management]" in config and "region = us-east-1" in config and srv.endpoint in config,
              f"aws/config content: {config}")

        # The README's promise: nothing but the two file variables.
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env["AWS_CONFIG_FILE"] = srv.config_file
        env["AWS_SHARED_CREDENTIALS_FILE"] = srv.credentials_file
        p = subprocess.run(["aws", "--profile", "management", "sts", "get-caller-identity", "--output", "json"],
                           env=env, capture_output=True, text=True, timeout=60)
        check(p.returncode == 0, f"get-caller-identity failed: {p.stderr}")
        import json
        ident = json.loads(p.stdout)
        account = ident["Account"]
        check(ident["Arn"] == f"arn:aws:iam::{account}:root", f"{ident}")

        # The secret access key is not stored in the clear anywhere but the CLI credentials file.
        _, secret = srv.credentials()
        for root, _, files in os.walk(d):
            for f in files:
                path = os.path.join(root, f)
                if path == srv.credentials_file:
                    continue
                with open(path, "rb") as fh:
                    check(secret.encode() not in fh.read(), f"secret found in clear in {path}")

        # SIGTERM: clean exit; restart keeps the same account and key.
        rc = srv.stop()
        check(rc == 0, f"SIGTERM exit code {rc}, want 0")
        srv.start()
        check(srv.aws("sts", "get-caller-identity")["Account"] == account, "account changed across restart")
        print("bootstrap: OK")
    except BaseException:
        print(srv.read_log())
        raise
    finally:
        srv.cleanup()

    # --management-account-id is honoured on first start.
    srv = Server(extra_args=["--management-account-id", "123456789012"]).start()
    try:
        check(srv.aws("sts", "get-caller-identity")["Account"] == "123456789012", "management id flag ignored")
    finally:
        srv.cleanup()


if __name__ == "__main__":
    main()
