"""IAM customer managed policies through the stock AWS CLI: create-policy,
attach-role-policy, list-attached-role-policies, and the attached policy in
force for a session of the role (allowed while attached, denied after
detach-role-policy); then AWS::IAM::ManagedPolicy in a CloudFormation stack
(create attaches, a document change is a new default version, delete
detaches and deletes)."""
import json
import sys

from harness import check, run

# iam:ListRoles rather than kms:ListKeys: KMS ListKeys is not authorized by
# orgtraild today (any caller of the account may list), so it could not
# show a policy taking effect.
LIST_ROLES = json.dumps({"Version": "2012-10-17",
                         "Statement": [{"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}]})


def managed_policies(srv):
    mgmt = srv.aws("sts", "get-caller-identity")["Account"]
    pol = srv.aws("iam", "create-policy", "--policy-name", "ListRoles", "--path", "/ops/",
                  "--policy-document", LIST_ROLES, "--description", "list IAM roles")["Policy"]
    arn = f"arn:aws:iam::{mgmt}:policy/ops/ListRoles"
    check(pol["Arn"] == arn, f"bad policy ARN: {pol}")
    check(pol["PolicyId"].startswith("ANPA") and len(pol["PolicyId"]) == 21, f"bad PolicyId: {pol}")
    check(pol["DefaultVersionId"] == "v1" and pol["AttachmentCount"] == 0, f"bad policy: {pol}")
    srv.aws("iam", "create-policy", "--policy-name", "listroles", "--policy-document", LIST_ROLES,
            expect_error="EntityAlreadyExists")
    srv.aws("iam", "create-policy", "--policy-name", "Bad", "--policy-document", "{",
            expect_error="MalformedPolicyDocument")
    version = srv.aws("iam", "get-policy-version", "--policy-arn", arn,
                      "--version-id", "v1")["PolicyVersion"]
    check(version["IsDefaultVersion"] and version["Document"]["Statement"][0]["Action"] == "iam:ListRoles",
          f"get-policy-version: {version}")
    listed = srv.aws("iam", "list-policies", "--scope", "Local")["Policies"]
    check([p["Arn"] for p in listed] == [arn], f"list-policies: {listed}")

    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{mgmt}:root"}, "Action": "sts:AssumeRole"}]})
    srv.aws("iam", "create-role", "--role-name", "KeyLister", "--assume-role-policy-document", trust)
    srv.aws("iam", "attach-role-policy", "--role-name", "KeyLister", "--policy-arn", arn)
    attached = srv.aws("iam", "list-attached-role-policies", "--role-name", "KeyLister")["AttachedPolicies"]
    check(attached == [{"PolicyName": "ListRoles", "PolicyArn": arn}], f"list-attached-role-policies: {attached}")
    check(srv.aws("iam", "get-policy", "--policy-arn", arn)["Policy"]["AttachmentCount"] == 1,
          "attachment count not 1")

    # A session of the role holds exactly what the managed policy grants.
    srv.add_role_profile("lister", mgmt, role="KeyLister")
    roles = srv.aws("iam", "list-roles", profile="lister")["Roles"]
    check("KeyLister" in [r["RoleName"] for r in roles], f"list-roles as the role: {roles}")
    srv.aws("iam", "list-users", profile="lister", expect_error="AccessDenied")

    srv.aws("iam", "delete-policy", "--policy-arn", arn, expect_error="DeleteConflict")
    srv.aws("iam", "delete-role", "--role-name", "KeyLister", expect_error="DeleteConflict")

    srv.aws("iam", "detach-role-policy", "--role-name", "KeyLister", "--policy-arn", arn)
    srv.aws("iam", "list-roles", profile="lister", expect_error="AccessDenied")
    srv.aws("iam", "detach-role-policy", "--role-name", "KeyLister", "--policy-arn", arn,
            expect_error="NoSuchEntity")
    srv.aws("iam", "delete-role", "--role-name", "KeyLister")
    srv.aws("iam", "delete-policy", "--policy-arn", arn)
    srv.aws("iam", "get-policy", "--policy-arn", arn, expect_error="NoSuchEntity")


    # --- AWS::IAM::ManagedPolicy through CloudFormation ---------------------------------------
    def template(action):
        return f"""
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      RoleName: StackLister
      AssumeRolePolicyDocument: {trust}
  Policy:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      ManagedPolicyName: StackListKeys
      Roles: [!Ref Role]
      PolicyDocument:
        Version: '2012-10-17'
        Statement: [{{Effect: Allow, Action: '{action}', Resource: '*'}}]
Outputs:
  PolicyArn: {{Value: !Ref Policy}}
"""
    srv.aws("cloudformation", "create-stack", "--stack-name", "mp", "--template-body", template("kms:ListKeys"),
            "--capabilities", "CAPABILITY_NAMED_IAM")
    srv.aws("cloudformation", "wait", "stack-create-complete", "--stack-name", "mp")
    stack = srv.aws("cloudformation", "describe-stacks", "--stack-name", "mp")["Stacks"][0]
    stack_arn = f"arn:aws:iam::{mgmt}:policy/StackListKeys"
    check({o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]} == {"PolicyArn": stack_arn},
          f"stack outputs: {stack}")
    attached = srv.aws("iam", "list-attached-role-policies", "--role-name", "StackLister")["AttachedPolicies"]
    check([a["PolicyArn"] for a in attached] == [stack_arn], f"stack attachment: {attached}")

    srv.aws("cloudformation", "update-stack", "--stack-name", "mp", "--template-body", template("kms:DescribeKey"),
            "--capabilities", "CAPABILITY_NAMED_IAM")
    srv.aws("cloudformation", "wait", "stack-update-complete", "--stack-name", "mp")
    pol = srv.aws("iam", "get-policy", "--policy-arn", stack_arn)["Policy"]
    check(pol["DefaultVersionId"] == "v2" and pol["AttachmentCount"] == 1, f"after update: {pol}")
    doc = srv.aws("iam", "get-policy-version", "--policy-arn", stack_arn,
                  "--version-id", "v2")["PolicyVersion"]["Document"]
    check(doc["Statement"][0]["Action"] == "kms:DescribeKey", f"updated document: {doc}")

    # An attachment made outside the stack does not block its deletion.
    srv.aws("iam", "create-user", "--user-name", "outsider")
    srv.aws("iam", "attach-user-policy", "--user-name", "outsider", "--policy-arn", stack_arn)
    srv.aws("cloudformation", "delete-stack", "--stack-name", "mp")
    srv.aws("cloudformation", "wait", "stack-delete-complete", "--stack-name", "mp")
    srv.aws("iam", "get-policy", "--policy-arn", stack_arn, expect_error="NoSuchEntity")
    srv.aws("iam", "get-role", "--role-name", "StackLister", expect_error="NoSuchEntity")
    srv.aws("iam", "delete-user", "--user-name", "outsider")


if __name__ == "__main__":
    run(managed_policies)
    sys.exit(0)
