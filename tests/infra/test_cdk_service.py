"""The Fargate service: task definition (app + nginx), roles, deployment, scaling, cluster."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Match

from infra.choices import Rollout
from infra.constructs.containers import nginx_liveness_command
from infra.contract import (
    APP_CACHE_DIR,
    APP_GRACEFUL_TIMEOUT_S,
    APP_HOST,
    APP_PORT,
    APP_TMP_DIR,
    CONTAINER_STOP_TIMEOUT_S,
    LIVENESS_PATH,
    MAX_REQUEST_BYTES,
    NGINX_HTTP_PORT,
    NGINX_HTTPS_PORT,
    NGINX_RUN_DIR,
)
from tests.infra.conftest import Synth, resolve_join


def containers(synth: Synth) -> dict[str, dict[str, Any]]:
    task = synth.only("AWS::ECS::TaskDefinition")
    return {c["Name"]: c for c in task["Properties"]["ContainerDefinitions"]}


def env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["Name"]: e["Value"] for e in container.get("Environment", [])}


def role_id(synth: Synth, which: str) -> str:
    role = getattr(synth.service.model_service, which)
    return synth.service.get_logical_id(role.node.default_child)


def policy_statements(synth: Synth, role_logical_id: str) -> list[dict[str, Any]]:
    """Every statement of every inline policy attached to a role."""
    statements = []
    for policy in synth.service_resources("AWS::IAM::Policy").values():
        if {"Ref": role_logical_id} in policy["Properties"]["Roles"]:
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    role = synth.service_resources("AWS::IAM::Role")[role_logical_id]["Properties"]
    for inline in role.get("Policies", []):
        statements += inline["PolicyDocument"]["Statement"]
    assert not role.get("ManagedPolicyArns"), "no managed policies on the task's roles"
    return statements


def actions(statement: dict[str, Any]) -> list[str]:
    value = statement["Action"]
    return [value] if isinstance(value, str) else list(value)


# --- task definition --------------------------------------------------------------------------


def test_task_size_and_platform_follow_the_config(any_synth: Synth) -> None:
    config = any_synth.config
    any_synth.service_template.has_resource_properties(
        "AWS::ECS::TaskDefinition",
        {
            "Cpu": str(config.task_cpu),
            "Memory": str(config.task_memory),
            "NetworkMode": "awsvpc",
            "RequiresCompatibilities": ["FARGATE"],
            "RuntimePlatform": {"CpuArchitecture": "X86_64", "OperatingSystemFamily": "LINUX"},
        },
    )


def test_default_task_is_2_vcpu_4_gib(default_synth: Synth) -> None:
    task = default_synth.only("AWS::ECS::TaskDefinition")["Properties"]
    assert (task["Cpu"], task["Memory"]) == ("2048", "4096")


def test_the_task_runs_the_app_and_nginx_both_essential(any_synth: Synth) -> None:
    found = containers(any_synth)
    assert sorted(found) == ["app", "nginx"]
    assert all(c["Essential"] for c in found.values())


def test_only_nginx_https_is_mapped_and_the_app_listens_on_loopback(any_synth: Synth) -> None:
    found = containers(any_synth)
    assert "PortMappings" not in found["app"]
    assert [(m["ContainerPort"], m["Protocol"]) for m in found["nginx"]["PortMappings"]] == [
        (NGINX_HTTPS_PORT, "tcp")
    ]
    app_env = env(found["app"])
    assert app_env["HOST"] == APP_HOST == "127.0.0.1"
    assert app_env["PORT"] == str(APP_PORT)


def test_nginx_upstream_is_the_app_port_and_host(any_synth: Synth) -> None:
    found = containers(any_synth)
    nginx_env, app_env = env(found["nginx"]), env(found["app"])
    assert nginx_env["UPSTREAM_PORT"] == app_env["PORT"]
    assert nginx_env["UPSTREAM_HOST"] == app_env["HOST"]
    assert nginx_env["LISTEN_HTTPS_PORT"] == str(found["nginx"]["PortMappings"][0]["ContainerPort"])
    # Same body limit in both, so nginx never forwards what the app would refuse by size.
    assert nginx_env["MAX_REQUEST_BYTES"] == app_env["MAX_REQUEST_BYTES"] == str(MAX_REQUEST_BYTES)
    # The ALB sits inside the VPC: its X-Forwarded-For entry is the one nginx trusts.
    (vpc_id,) = any_synth.service_resources("AWS::EC2::VPC")
    assert nginx_env["REAL_IP_FROM"] == {"Fn::GetAtt": [vpc_id, "CidrBlock"]}


def bucket(synth: Synth) -> str:
    """The model bucket's name as the templates render it (the stage's default name)."""
    return f"facesim-{synth.config.stage}-models-{{ref:AWS::AccountId}}-{{ref:AWS::Region}}"


def test_app_gets_the_model_uri_under_the_granted_prefix(any_synth: Synth) -> None:
    config = any_synth.config
    uri = resolve_join(env(containers(any_synth)["app"])["MODEL_URI"])
    assert uri == f"s3://{bucket(any_synth)}/{config.model_object_key}"
    assert config.model_object_key.startswith(config.model_read_prefix + "/")


def test_model_sha256_is_passed_only_when_given(default_synth: Synth, options_synth: Synth) -> None:
    assert "MODEL_SHA256" not in env(containers(default_synth)["app"])
    assert env(containers(options_synth)["app"])["MODEL_SHA256"] == "ab" * 32


def test_container_health_check_is_liveness_on_the_app(any_synth: Synth) -> None:
    check = containers(any_synth)["app"]["HealthCheck"]
    command = check["Command"]
    assert command[0] == "CMD"
    assert f"http://{APP_HOST}:{APP_PORT}{LIVENESS_PATH}" in command[-1]
    assert "/readyz" not in " ".join(command)
    assert check["StartPeriod"] >= 30 and check["Retries"] >= 2


def test_health_checks_are_frequent_enough_not_to_delay_nginx(any_synth: Synth) -> None:
    # nginx waits for the app to be HEALTHY, and the first check runs one interval after start:
    # with 30 s every deploy and scale-out waited ~30 s for nothing.
    for container in containers(any_synth).values():
        check = container["HealthCheck"]
        assert check["Interval"] <= 10
        assert check["Timeout"] < check["Interval"]
        assert check["Interval"] * check["Retries"] >= 30  # not so twitchy it kills busy tasks


def test_nginx_has_its_own_liveness_check(any_synth: Synth) -> None:
    check = containers(any_synth)["nginx"]["HealthCheck"]
    assert check["Command"] == nginx_liveness_command(NGINX_HTTP_PORT)
    assert str(NGINX_HTTP_PORT) in check["Command"][-1]


def test_both_containers_have_a_read_only_root_and_writable_mounts(any_synth: Synth) -> None:
    task = any_synth.only("AWS::ECS::TaskDefinition")["Properties"]
    volumes = {v["Name"] for v in task["Volumes"]}
    expected = {"app": {APP_CACHE_DIR, APP_TMP_DIR}, "nginx": {NGINX_RUN_DIR}}
    used = []
    for name, container in containers(any_synth).items():
        assert container["ReadonlyRootFilesystem"] is True
        assert {m["ContainerPath"] for m in container["MountPoints"]} == expected[name]
        assert all(m["ReadOnly"] is False for m in container["MountPoints"])
        used += [m["SourceVolume"] for m in container["MountPoints"]]
    assert sorted(used) == sorted(volumes)  # one volume per path, none shared
    assert env(containers(any_synth)["nginx"])["RUN_DIR"] == NGINX_RUN_DIR
    assert "Host" not in str(task["Volumes"])  # task storage, not the host's


def test_docs_follow_the_stage_unless_asked(
    route53_synth: Synth, options_synth: Synth, endpoints_synth: Synth
) -> None:
    assert env(containers(route53_synth)["app"])["DOCS_ENABLED"] == "false"  # production
    assert env(containers(options_synth)["app"])["DOCS_ENABLED"] == "true"  # staging
    assert env(containers(endpoints_synth)["app"])["DOCS_ENABLED"] == "true"  # docs=true


def test_the_app_publishes_its_metrics_under_the_stage_namespace(any_synth: Synth) -> None:
    app_env = env(containers(any_synth)["app"])
    assert app_env["EMF_NAMESPACE"] == f"facesim/{any_synth.config.stage}"
    assert float(app_env["EMF_INTERVAL_SECONDS"]) == 60


def test_task_family_carries_the_stage(any_synth: Synth) -> None:
    task = any_synth.only("AWS::ECS::TaskDefinition")["Properties"]
    assert task["Family"] == f"facesim-{any_synth.config.stage}"


def test_nginx_starts_after_the_app_is_healthy(any_synth: Synth) -> None:
    # ...and, dependencies reversing on stop, nginx is stopped (drained) before the app.
    assert containers(any_synth)["nginx"]["DependsOn"] == [
        {"ContainerName": "app", "Condition": "HEALTHY"}
    ]


def test_shutdown_is_ordered_so_in_flight_requests_finish(any_synth: Synth) -> None:
    found = containers(any_synth)
    graceful = int(env(found["app"])["GRACEFUL_TIMEOUT"])
    assert graceful == APP_GRACEFUL_TIMEOUT_S
    for container in found.values():
        assert container["StopTimeout"] == CONTAINER_STOP_TIMEOUT_S
        assert container["StopTimeout"] > graceful
        assert container["StopTimeout"] <= 120  # Fargate's maximum
    proxy_read = int(env(found["nginx"])["PROXY_READ_TIMEOUT"].removesuffix("s"))
    for group in any_synth.service_resources("AWS::ElasticLoadBalancingV2::TargetGroup").values():
        attributes = {a["Key"]: a["Value"] for a in group["Properties"]["TargetGroupAttributes"]}
        assert int(attributes["deregistration_delay.timeout_seconds"]) >= proxy_read
    assert graceful < proxy_read


def test_each_container_logs_to_its_own_group_with_retention(any_synth: Synth) -> None:
    groups = any_synth.service_resources("AWS::Logs::LogGroup")
    # app, nginx, the task-stop events (test_cdk_monitoring.py), the WAF log and, for blue/green,
    # the release hook's, and with VPC endpoints the prefix-list lookup's: all with the retention.
    blue_green = any_synth.config.rollout_style is not Rollout.ROLLING
    assert len(groups) == 4 + blue_green + any_synth.config.vpc_endpoints
    for group in groups.values():
        assert group["Properties"]["RetentionInDays"] == any_synth.config.log_retention_days
        # Named by the stage's stack, except WAF's (its name must start aws-waf-logs-).
        assert group["Properties"].get("LogGroupName", "aws-waf-logs-").startswith("aws-waf-logs-")
    used = set()
    for container in containers(any_synth).values():
        options = container["LogConfiguration"]["Options"]
        assert container["LogConfiguration"]["LogDriver"] == "awslogs"
        assert options["mode"] == "non-blocking"
        used.add(options["awslogs-group"]["Ref"])
    assert len(used) == 2 and used < set(groups)


def test_default_log_retention_is_30_days(default_synth: Synth) -> None:
    default_synth.service_template.all_resources_properties(
        "AWS::Logs::LogGroup", {"RetentionInDays": 30}
    )


def test_images_come_from_the_ecr_repositories_at_the_context_tag(any_synth: Synth) -> None:
    tag, stage = any_synth.config.image_tag, any_synth.config.stage
    images = {name: resolve_join(c["Image"]) for name, c in containers(any_synth).items()}
    assert images["app"].endswith(f"{{ref:AWS::URLSuffix}}/facesim-{stage}/app:{tag}")
    assert images["nginx"].endswith(f"{{ref:AWS::URLSuffix}}/facesim-{stage}/nginx:{tag}")


def secret_reads(synth: Synth, which: str) -> list[dict[str, Any]]:
    statements = policy_statements(synth, role_id(synth, which))
    return [s for s in statements if any(a.startswith("secretsmanager:") for a in actions(s))]


def test_api_keys_are_on_by_default_from_a_secret_the_stack_makes(route53_synth: Synth) -> None:
    (secret_id,) = route53_synth.service_resources("AWS::SecretsManager::Secret")
    secret = route53_synth.service_resources("AWS::SecretsManager::Secret")[secret_id]
    generated = secret["Properties"]["GenerateSecretString"]
    assert generated["PasswordLength"] >= 32
    assert generated["ExcludePunctuation"] is True  # API_KEYS is comma-separated
    app = containers(route53_synth)["app"]
    assert app["Secrets"] == [{"Name": "API_KEYS", "ValueFrom": {"Ref": secret_id}}]
    assert "API_KEYS" not in env(app)
    # The execution role (the ECS agent) reads the secret, not the app's task role.
    reads = secret_reads(route53_synth, "execution_role")
    assert reads and all(s["Resource"] == {"Ref": secret_id} for s in reads)
    assert not secret_reads(route53_synth, "task_role")
    route53_synth.service_template.has_output("ApiKeySecretArn", {"Value": {"Ref": secret_id}})


def test_api_keys_can_come_from_the_users_own_secret(options_synth: Synth) -> None:
    options_synth.service_template.resource_count_is("AWS::SecretsManager::Secret", 0)
    app = containers(options_synth)["app"]
    arn = options_synth.config.api_key_secret_arn
    assert app["Secrets"] == [{"Name": "API_KEYS", "ValueFrom": arn}]
    assert all(s["Resource"] == arn for s in secret_reads(options_synth, "execution_role"))
    assert not secret_reads(options_synth, "task_role")


def test_api_keys_off_only_when_asked(endpoints_synth: Synth) -> None:
    assert endpoints_synth.config.api_keys is False
    assert "Secrets" not in containers(endpoints_synth)["app"]
    endpoints_synth.service_template.resource_count_is("AWS::SecretsManager::Secret", 0)


# --- roles --------------------------------------------------------------------------------------


def test_task_and_execution_roles_are_separate(any_synth: Synth) -> None:
    task = any_synth.only("AWS::ECS::TaskDefinition")["Properties"]
    task_role = task["TaskRoleArn"]["Fn::GetAtt"][0]
    execution_role = task["ExecutionRoleArn"]["Fn::GetAtt"][0]
    assert task_role != execution_role
    assert task_role == role_id(any_synth, "task_role")
    assert execution_role == role_id(any_synth, "execution_role")


def test_task_role_reads_exactly_the_model_prefix_and_nothing_else(any_synth: Synth) -> None:
    statements = policy_statements(any_synth, role_id(any_synth, "task_role"))
    assert len(statements) == 1
    (statement,) = statements
    assert statement["Effect"] == "Allow"
    assert actions(statement) == ["s3:GetObject"]
    prefix = any_synth.config.model_read_prefix
    partition = "aws"
    assert (
        resolve_join(statement["Resource"])
        == f"arn:{partition}:s3:::{bucket(any_synth)}/{prefix}/*"
    )


def test_task_role_grants_no_writes_anywhere(any_synth: Synth) -> None:
    statements = policy_statements(any_synth, role_id(any_synth, "task_role"))
    verbs = [a.split(":", 1)[1] for s in statements for a in actions(s)]
    assert not [v for v in verbs if v.startswith(("Put", "Delete", "Create", "Update", "*"))]
    assert not [v for v in verbs if "List" in v or "Bucket" in v]


def test_task_role_trust_is_limited_to_this_account(default_synth: Synth) -> None:
    role = default_synth.service_resources("AWS::IAM::Role")[role_id(default_synth, "task_role")]
    (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
    assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert "aws:SourceArn" in statement["Condition"]["ArnLike"]


def test_execution_role_pulls_the_two_repositories_and_writes_the_two_log_groups(
    any_synth: Synth,
) -> None:
    statements = policy_statements(any_synth, role_id(any_synth, "execution_role"))
    wildcard = [s for s in statements if s["Resource"] == "*"]
    assert [actions(s) for s in wildcard] == [["ecr:GetAuthorizationToken"]]
    pulls = [s for s in statements if "ecr:BatchGetImage" in actions(s)]
    assert len(pulls) == 1
    stage = any_synth.config.stage
    assert sorted(resolve_join(r).rsplit(":", 1)[-1] for r in pulls[0]["Resource"]) == [
        f"repository/facesim-{stage}/app",
        f"repository/facesim-{stage}/nginx",
    ]
    logs = [s for s in statements if "logs:PutLogEvents" in actions(s)]
    service = any_synth.service.model_service
    groups = {
        any_synth.service.get_logical_id(group.node.default_child)  # type: ignore[arg-type]
        for group in (service.app_logs, service.nginx_logs)
    }
    assert {r["Fn::GetAtt"][0] for s in logs for r in s["Resource"]} == groups
    assert not [a for s in statements for a in actions(s) if a.startswith("s3:")]


# --- service, deployment, scaling, cluster ----------------------------------------------------------


def test_deployment_circuit_breaker_rolls_back(any_synth: Synth) -> None:
    any_synth.service_template.has_resource_properties(
        "AWS::ECS::Service",
        {
            "DeploymentConfiguration": Match.object_like(
                {
                    "DeploymentCircuitBreaker": {"Enable": True, "Rollback": True},
                    "MinimumHealthyPercent": 100,
                    "MaximumPercent": 200,
                }
            ),
            "EnableExecuteCommand": False,
        },
    )


def test_grace_period_covers_model_download_and_load(default_synth: Synth) -> None:
    service = default_synth.only("AWS::ECS::Service")["Properties"]
    assert service["HealthCheckGracePeriodSeconds"] == 120


def test_a_deploy_does_not_reset_the_autoscaled_task_count(any_synth: Synth) -> None:
    # DesiredCount in the template would be re-applied by every stack update; the scalable
    # target's minimum is the floor instead.
    assert "DesiredCount" not in any_synth.only("AWS::ECS::Service")["Properties"]
    target = any_synth.only("AWS::ApplicationAutoScaling::ScalableTarget")["Properties"]
    assert target["MinCapacity"] == any_synth.config.desired_count


def test_on_demand_only_unless_a_spot_share_is_asked(
    route53_synth: Synth, options_synth: Synth
) -> None:
    on_demand = route53_synth.only("AWS::ECS::Service")["Properties"]
    assert on_demand["LaunchType"] == "FARGATE"
    assert "CapacityProviderStrategy" not in on_demand
    spot = options_synth.only("AWS::ECS::Service")["Properties"]
    assert "LaunchType" not in spot
    assert spot["CapacityProviderStrategy"] == [
        {"CapacityProvider": "FARGATE", "Base": 1, "Weight": 25},
        {"CapacityProvider": "FARGATE_SPOT", "Weight": 75},
    ]
    providers = options_synth.only("AWS::ECS::ClusterCapacityProviderAssociations")
    assert set(providers["Properties"]["CapacityProviders"]) == {"FARGATE", "FARGATE_SPOT"}


def test_service_targets_nginx_https(any_synth: Synth) -> None:
    service = any_synth.only("AWS::ECS::Service")["Properties"]
    (balancer,) = service["LoadBalancers"]
    assert (balancer["ContainerName"], balancer["ContainerPort"]) == ("nginx", NGINX_HTTPS_PORT)


def test_autoscaling_tracks_cpu_between_desired_and_max(any_synth: Synth) -> None:
    config = any_synth.config
    any_synth.service_template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalableTarget",
        {
            "MinCapacity": config.desired_count,
            "MaxCapacity": config.max_count,
            "ScalableDimension": "ecs:service:DesiredCount",
        },
    )
    any_synth.service_template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {
            "PolicyType": "TargetTrackingScaling",
            "TargetTrackingScalingPolicyConfiguration": Match.object_like(
                {
                    "PredefinedMetricSpecification": {
                        "PredefinedMetricType": "ECSServiceAverageCPUUtilization"
                    },
                    "TargetValue": 60,
                }
            ),
        },
    )


def test_default_scaling_is_2_to_6(default_synth: Synth) -> None:
    target = default_synth.only("AWS::ApplicationAutoScaling::ScalableTarget")["Properties"]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (2, 6)


def test_cluster_has_container_insights(any_synth: Synth) -> None:
    any_synth.service_template.has_resource_properties(
        "AWS::ECS::Cluster",
        {"ClusterSettings": [{"Name": "containerInsights", "Value": "enabled"}]},
    )


def test_tasks_may_only_call_out_on_https(any_synth: Synth) -> None:
    task_sg = any_synth.service.get_logical_id(
        any_synth.service.model_service.security_group.node.default_child  # type: ignore[arg-type]
    )
    inline = any_synth.service_resources("AWS::EC2::SecurityGroup")[task_sg]["Properties"]
    egress = inline.get("SecurityGroupEgress", [])
    expected = [] if any_synth.config.vpc_endpoints else [("tcp", 443, 443)]
    assert [(e["IpProtocol"], e["FromPort"], e["ToPort"]) for e in egress] == expected
    # With VPC endpoints, the rules that admit the tasks there add egress to them: 443 too.
    standalone = [
        e["Properties"]
        for e in any_synth.service_resources("AWS::EC2::SecurityGroupEgress").values()
        if e["Properties"]["GroupId"] == {"Fn::GetAtt": [task_sg, "GroupId"]}
    ]
    assert {(e["IpProtocol"], e["FromPort"], e["ToPort"]) for e in standalone} <= {
        ("tcp", 443, 443)
    }


def test_tasks_admit_only_nginx_https_from_the_load_balancer(any_synth: Synth) -> None:
    task_sg = any_synth.service.get_logical_id(
        any_synth.service.model_service.security_group.node.default_child  # type: ignore[arg-type]
    )
    alb_sg_ids = [
        key
        for key, sg in any_synth.service_resources("AWS::EC2::SecurityGroup").items()
        if key != task_sg
    ]
    inline = any_synth.service_resources("AWS::EC2::SecurityGroup")[task_sg]["Properties"]
    assert "SecurityGroupIngress" not in inline
    rules = [
        r["Properties"]
        for r in any_synth.service_resources("AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"]["GroupId"] == {"Fn::GetAtt": [task_sg, "GroupId"]}
    ]
    assert len(rules) == 1
    (rule,) = rules
    assert (rule["FromPort"], rule["ToPort"], rule["IpProtocol"]) == (
        NGINX_HTTPS_PORT,
        NGINX_HTTPS_PORT,
        "tcp",
    )
    assert rule["SourceSecurityGroupId"]["Fn::GetAtt"][0] in alb_sg_ids


@pytest.mark.parametrize(
    ("synth_name", "public_ip"), [("default", "DISABLED"), ("options", "ENABLED")]
)
def test_tasks_sit_in_private_subnets_unless_public_is_chosen(
    request: pytest.FixtureRequest, synth_name: str, public_ip: str
) -> None:
    synth: Synth = request.getfixturevalue(f"{synth_name}_synth")
    network = synth.only("AWS::ECS::Service")["Properties"]["NetworkConfiguration"]
    assert network["AwsvpcConfiguration"]["AssignPublicIp"] == public_ip
    subnets = {s["Ref"] for s in network["AwsvpcConfiguration"]["Subnets"]}
    kinds = {
        key: tag["Value"]
        for key, subnet in synth.service_resources("AWS::EC2::Subnet").items()
        for tag in subnet["Properties"]["Tags"]
        if tag["Key"] == "aws-cdk:subnet-type"
    }
    expected = "Private" if public_ip == "DISABLED" else "Public"
    assert len(subnets) == 2 and {kinds[s] for s in subnets} == {expected}


# --- findings of the AWS review (issue 24) ------------------------------------------------------


def test_a_crashed_container_restarts_in_place_instead_of_replacing_the_task(
    any_synth: Synth,
) -> None:
    for container in containers(any_synth).values():
        policy = container["RestartPolicy"]
        assert policy["Enabled"] is True
        assert 60 <= policy["RestartAttemptPeriod"] <= 1800


def test_the_app_is_told_the_kind_of_the_model_it_serves(any_synth: Synth) -> None:
    assert env(containers(any_synth)["app"])["MODEL_KIND"] == any_synth.config.model_kind


def egress(synth: Synth) -> list[dict[str, Any]]:
    """Egress of the tasks' security group: inline rules and separate SecurityGroupEgress."""
    group_id = synth.service.get_logical_id(
        synth.service.model_service.security_group.node.default_child
    )
    group = synth.service_resources("AWS::EC2::SecurityGroup")[group_id]["Properties"]
    rules = list(group.get("SecurityGroupEgress", []))
    rules += [
        r["Properties"]
        for r in synth.service_resources("AWS::EC2::SecurityGroupEgress").values()
        if r["Properties"]["GroupId"] == {"Fn::GetAtt": [group_id, "GroupId"]}
    ]
    return rules


def test_with_vpc_endpoints_tasks_reach_only_the_endpoints_and_s3(endpoints_synth: Synth) -> None:
    rules = egress(endpoints_synth)
    assert not [r for r in rules if r.get("CidrIp") == "0.0.0.0/0"]
    endpoint_groups = {
        endpoints_synth.service.get_logical_id(group.node.default_child)
        for endpoint in endpoints_synth.service.network.interface_endpoints
        for group in endpoint.connections.security_groups
    }
    to_groups = {
        r["DestinationSecurityGroupId"]["Fn::GetAtt"][0]
        for r in rules
        if "DestinationSecurityGroupId" in r
    }
    assert to_groups == endpoint_groups and len(endpoint_groups) == 4
    (s3,) = [r for r in rules if "DestinationPrefixListId" in r]
    assert (s3["FromPort"], s3["ToPort"], s3["IpProtocol"]) == (443, 443, "tcp")
    assert len(rules) == 5
    lookup = endpoints_synth.service_resources("Custom::AWS")
    (call,) = [r["Properties"]["Create"] for r in lookup.values()]
    assert "describeManagedPrefixLists" in resolve_join(call)


def test_through_nat_tasks_reach_https_only(default_synth: Synth) -> None:
    assert [(r.get("CidrIp"), r["FromPort"]) for r in egress(default_synth)] == [("0.0.0.0/0", 443)]


def test_the_outputs_name_what_a_rollback_returns_to(any_synth: Synth) -> None:
    outputs = any_synth.service_template.find_outputs("*")
    config = any_synth.config
    assert outputs["ImageTag"]["Value"] == config.image_tag
    assert outputs["ModelName"]["Value"] == config.model_name
    assert outputs["ModelVersion"]["Value"] == config.model_version
