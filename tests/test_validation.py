"""Tests for kubectl_sts_sandbox.validation (defaults, validation, 422 bodies)."""

import copy
from functools import partial

import pytest

from kubectl_sts_sandbox.defaulting import apply_defaults, drop_disabled_fields
from kubectl_sts_sandbox.validation import invalid_status, validate
from kubectl_sts_sandbox.validation import statefulsets as v

from builders import claim, pod, statefulset

DNS_LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters "
    "or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  "
    "or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
DNS_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
    "'-' or '.', and must start and end with an alphanumeric character (e.g. "
    "'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
DNS1035_MSG = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start "
    "with an alphabetic character, and end with an alphanumeric character (e.g. "
    "'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)
STS_FORBIDDEN = (
    "Forbidden: updates to statefulset spec for fields other than 'replicas', "
    "'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' "
    "and 'minReadySeconds' are forbidden"
)
POD_FORBIDDEN_PREFIX = (
    "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` "
    "(only additions to existing tolerations),`spec.terminationGracePeriodSeconds` "
    "(allow it to be set to 1 if it was previously negative)\n"
)


# ---------------------------------------------------------------------------
# fixtures / helpers
# ---------------------------------------------------------------------------


NGINX = {"name": "nginx", "image": "registry.k8s.io/nginx-slim:0.8",
         "ports": [{"containerPort": 80, "name": "web"}],
         "volumeMounts": [{"name": "www", "mountPath": "/usr/share/nginx/html"}]}
make_sts = partial(statefulset, namespace="default", service="nginx", pod_labels={"app": "nginx"},
                   containers=[NGINX], grace=None, claims=("www",))
make_pod = partial(pod, namespace="default", labels={"app": "nginx"}, container="nginx",
                   image="nginx:1.25")
make_pvc = partial(claim, name="www-web-0", namespace="default")


def defaulted(resource, obj, gate=False):
    apply_defaults(resource, obj, maxunavailable_gate=gate)
    return obj


def errors(resource, obj, old=None, gate=False, default=True):
    """Validate and return the causes as 'field: message' strings."""
    if default:
        apply_defaults(resource, obj, maxunavailable_gate=gate)
    causes = validate(resource, obj, old=old, maxunavailable_gate=gate)
    for c in causes:
        assert set(c) == {"reason", "message", "field"}
    return ["%s: %s" % (c["field"], c["message"]) for c in causes]


def reasons(resource, obj, old=None, gate=False):
    apply_defaults(resource, obj, maxunavailable_gate=gate)
    return [c["reason"] for c in validate(resource, obj, old=old, maxunavailable_gate=gate)]


# ---------------------------------------------------------------------------
# StatefulSet defaults
# ---------------------------------------------------------------------------


class TestStatefulSetDefaults:
    def test_spec_defaults(self):
        sts = make_sts()
        del sts["spec"]["replicas"]
        spec = defaulted("statefulsets", sts)["spec"]
        assert spec["replicas"] == 1
        assert spec["podManagementPolicy"] == "OrderedReady"
        assert spec["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
        assert spec["revisionHistoryLimit"] == 10
        assert spec["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}

    def test_given_values_are_kept(self):
        sts = make_sts(
            podManagementPolicy="Parallel",
            revisionHistoryLimit=2,
            updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"partition": 2}},
            persistentVolumeClaimRetentionPolicy={"whenScaled": "Delete"},
        )
        spec = defaulted("statefulsets", sts)["spec"]
        assert spec["replicas"] == 3
        assert spec["podManagementPolicy"] == "Parallel"
        assert spec["revisionHistoryLimit"] == 2
        assert spec["updateStrategy"]["rollingUpdate"] == {"partition": 2}
        assert spec["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Delete"}

    def test_explicit_rolling_update_type_keeps_rolling_update_absent(self):
        sts = make_sts(updateStrategy={"type": "RollingUpdate"})
        spec = defaulted("statefulsets", sts)["spec"]
        assert spec["updateStrategy"] == {"type": "RollingUpdate"}

    def test_rolling_update_block_gets_partition(self):
        sts = make_sts(updateStrategy={"type": "RollingUpdate", "rollingUpdate": {}})
        assert defaulted("statefulsets", sts)["spec"]["updateStrategy"]["rollingUpdate"] == {"partition": 0}

    def test_on_delete_gets_no_rolling_update(self):
        sts = make_sts(updateStrategy={"type": "OnDelete"})
        assert defaulted("statefulsets", sts)["spec"]["updateStrategy"] == {"type": "OnDelete"}

    def test_max_unavailable_only_with_gate(self):
        off = defaulted("statefulsets", make_sts())
        assert "maxUnavailable" not in off["spec"]["updateStrategy"]["rollingUpdate"]
        on = defaulted("statefulsets", make_sts(), gate=True)
        assert on["spec"]["updateStrategy"]["rollingUpdate"] == {"partition": 0, "maxUnavailable": 1}

    def test_max_unavailable_gate_respects_given_value(self):
        sts = make_sts(updateStrategy={"rollingUpdate": {"maxUnavailable": "50%"}})
        ru = defaulted("statefulsets", sts, gate=True)["spec"]["updateStrategy"]["rollingUpdate"]
        assert ru == {"partition": 0, "maxUnavailable": "50%"}

    def test_template_pod_spec_defaults(self):
        tspec = defaulted("statefulsets", make_sts())["spec"]["template"]["spec"]
        assert tspec["restartPolicy"] == "Always"
        assert tspec["terminationGracePeriodSeconds"] == 30
        assert tspec["dnsPolicy"] == "ClusterFirst"
        assert tspec["schedulerName"] == "default-scheduler"
        assert tspec["securityContext"] == {}
        # SetDefaults_Pod (not SetDefaults_PodSpec) sets enableServiceLinks,
        # so templates do not get it.
        assert "enableServiceLinks" not in tspec
        c = tspec["containers"][0]
        assert c["terminationMessagePath"] == "/dev/termination-log"
        assert c["terminationMessagePolicy"] == "File"
        assert c["imagePullPolicy"] == "IfNotPresent"
        assert c["resources"] == {}
        assert c["ports"] == [{"containerPort": 80, "name": "web", "protocol": "TCP"}]

    def test_volume_claim_template_defaults(self):
        claim = defaulted("statefulsets", make_sts())["spec"]["volumeClaimTemplates"][0]
        assert claim["apiVersion"] == "v1"
        assert claim["kind"] == "PersistentVolumeClaim"
        assert claim["spec"]["volumeMode"] == "Filesystem"
        assert claim["status"] == {"phase": "Pending"}
        assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]

    def test_defaulting_is_idempotent(self):
        once = defaulted("statefulsets", make_sts())
        twice = defaulted("statefulsets", copy.deepcopy(once))
        assert once == twice


# ---------------------------------------------------------------------------
# Pod / PVC / Service / Namespace defaults
# ---------------------------------------------------------------------------


class TestPodDefaults:
    def test_pod_spec_defaults(self):
        spec = defaulted("pods", make_pod())["spec"]
        assert spec["restartPolicy"] == "Always"
        assert spec["terminationGracePeriodSeconds"] == 30
        assert spec["dnsPolicy"] == "ClusterFirst"
        assert spec["schedulerName"] == "default-scheduler"
        assert spec["securityContext"] == {}
        assert spec["enableServiceLinks"] is True
        c = spec["containers"][0]
        assert c["terminationMessagePath"] == "/dev/termination-log"
        assert c["terminationMessagePolicy"] == "File"
        assert c["resources"] == {}

    @pytest.mark.parametrize(
        "image,policy",
        [
            ("nginx", "Always"),
            ("nginx:latest", "Always"),
            ("registry.example.com:5000/team/app", "Always"),
            ("nginx:1.25", "IfNotPresent"),
            ("registry.example.com:5000/team/app:v2", "IfNotPresent"),
            ("nginx@sha256:" + "a" * 64, "IfNotPresent"),
            ("nginx:latest@sha256:" + "a" * 64, "Always"),
        ],
    )
    def test_image_pull_policy(self, image, policy):
        pod = make_pod()
        pod["spec"]["containers"][0]["image"] = image
        assert defaulted("pods", pod)["spec"]["containers"][0]["imagePullPolicy"] == policy

    def test_image_pull_policy_given_is_kept(self):
        pod = make_pod()
        pod["spec"]["containers"][0]["imagePullPolicy"] = "Never"
        assert defaulted("pods", pod)["spec"]["containers"][0]["imagePullPolicy"] == "Never"

    def test_init_containers_ports_and_probes(self):
        pod = make_pod()
        c = pod["spec"]["containers"][0]
        c["ports"] = [{"containerPort": 80}, {"containerPort": 53, "protocol": "UDP"}]
        c["readinessProbe"] = {"httpGet": {"port": 80}}
        c["env"] = [{"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]
        pod["spec"]["initContainers"] = [{"name": "init", "image": "busybox:1.36"}]
        spec = defaulted("pods", pod)["spec"]
        c = spec["containers"][0]
        assert [p["protocol"] for p in c["ports"]] == ["TCP", "UDP"]
        assert c["readinessProbe"] == {
            "httpGet": {"port": 80, "path": "/", "scheme": "HTTP"},
            "timeoutSeconds": 1,
            "periodSeconds": 10,
            "successThreshold": 1,
            "failureThreshold": 3,
        }
        assert c["env"][0]["valueFrom"]["fieldRef"]["apiVersion"] == "v1"
        init = spec["initContainers"][0]
        assert init["imagePullPolicy"] == "IfNotPresent"
        assert init["terminationMessagePolicy"] == "File"

    def test_volume_defaults(self):
        pod = make_pod()
        pod["spec"]["volumes"] = [
            {"name": "scratch"},
            {"name": "cfg", "configMap": {"name": "cfg"}},
            {"name": "sec", "secret": {"secretName": "s", "defaultMode": 256}},
            {"name": "data", "persistentVolumeClaim": {"claimName": "www-web-0"}},
        ]
        vols = defaulted("pods", pod)["spec"]["volumes"]
        assert vols[0] == {"name": "scratch", "emptyDir": {}}
        assert vols[1]["configMap"] == {"name": "cfg", "defaultMode": 420}
        assert vols[2]["secret"]["defaultMode"] == 256
        assert vols[3] == {"name": "data", "persistentVolumeClaim": {"claimName": "www-web-0"}}

    def test_requests_default_to_limits_on_pods(self):
        pod = make_pod()
        pod["spec"]["containers"][0]["resources"] = {"limits": {"cpu": "1"}, "requests": {"memory": "1Gi"}}
        res = defaulted("pods", pod)["spec"]["containers"][0]["resources"]
        assert res["requests"] == {"memory": "1Gi", "cpu": "1"}


def test_pvc_defaults():
    pvc = defaulted("persistentvolumeclaims", make_pvc())
    assert pvc["spec"]["volumeMode"] == "Filesystem"
    assert pvc["status"] == {"phase": "Pending"}


def test_pvc_block_mode_kept():
    pvc = make_pvc()
    pvc["spec"]["volumeMode"] = "Block"
    assert defaulted("persistentvolumeclaims", pvc)["spec"]["volumeMode"] == "Block"


class TestServiceDefaults:
    def test_cluster_ip_service(self):
        svc = {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "nginx"},
            "spec": {"selector": {"app": "nginx"}, "ports": [{"port": 80, "name": "web"}]},
        }
        spec = defaulted("services", svc)["spec"]
        assert spec["type"] == "ClusterIP"
        assert spec["sessionAffinity"] == "None"
        assert spec["ports"] == [{"port": 80, "name": "web", "protocol": "TCP", "targetPort": 80}]
        assert spec["internalTrafficPolicy"] == "Cluster"
        assert spec["ipFamilies"] == ["IPv4"]
        assert spec["ipFamilyPolicy"] == "SingleStack"
        assert "clusterIP" not in spec  # allocation is not done here

    def test_headless_service_for_statefulset(self):
        svc = {
            "metadata": {"name": "nginx"},
            "spec": {"clusterIP": "None", "selector": {"app": "nginx"}, "ports": [{"port": 80, "targetPort": "web"}]},
        }
        spec = defaulted("services", svc)["spec"]
        assert spec["ports"][0]["targetPort"] == "web"
        assert spec["ipFamilyPolicy"] == "SingleStack"
        assert spec["ipFamilies"] == ["IPv4"]

    def test_headless_without_selector_requires_dual_stack(self):
        svc = {"metadata": {"name": "ext"}, "spec": {"clusterIP": "None"}}
        spec = defaulted("services", svc)["spec"]
        assert spec["ipFamilyPolicy"] == "RequireDualStack"

    def test_node_port_service(self):
        svc = {"metadata": {"name": "np"}, "spec": {"type": "NodePort", "ports": [{"port": 80}]}}
        spec = defaulted("services", svc)["spec"]
        assert spec["externalTrafficPolicy"] == "Cluster"
        assert spec["internalTrafficPolicy"] == "Cluster"


def test_namespace_defaults():
    ns = defaulted("namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}})
    assert ns["spec"] == {"finalizers": ["kubernetes"]}
    assert ns["status"] == {"phase": "Active"}
    assert ns["metadata"]["labels"] == {"kubernetes.io/metadata.name": "team-a"}


def test_unknown_resource_untouched():
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"a": "b"}}
    before = copy.deepcopy(cm)
    apply_defaults("configmaps", cm)
    assert cm == before


# ---------------------------------------------------------------------------
# Metadata validation (all resources)
# ---------------------------------------------------------------------------


class TestMetadata:
    def test_valid_statefulset_passes(self):
        assert errors("statefulsets", make_sts()) == []

    def test_valid_statefulset_with_parallel_and_ordinals_passes(self):
        sts = make_sts(podManagementPolicy="Parallel", ordinals={"start": 5}, minReadySeconds=10)
        sts["spec"]["persistentVolumeClaimRetentionPolicy"] = {"whenDeleted": "Delete", "whenScaled": "Delete"}
        assert errors("statefulsets", sts) == []

    def test_name_required(self):
        sts = make_sts()
        del sts["metadata"]["name"]
        assert errors("statefulsets", sts) == ["metadata.name: Required value: name or generateName is required"]
        assert reasons("statefulsets", make_sts()) == []

    def test_generate_name_is_enough(self):
        pod = make_pod()
        pod["metadata"] = {"generateName": "web-"}
        assert errors("pods", pod) == []

    def test_bad_generate_name(self):
        pod = make_pod()
        pod["metadata"] = {"generateName": "Web-"}
        assert errors("pods", pod) == ['metadata.generateName: Invalid value: "Web-": ' + DNS_SUBDOMAIN_MSG]

    def test_statefulset_name_must_be_dns_label(self):
        sts = make_sts()
        sts["metadata"]["name"] = "Web"
        assert errors("statefulsets", sts) == ['metadata.name: Invalid value: "Web": ' + DNS_LABEL_MSG]

    def test_statefulset_name_must_not_contain_dots(self):
        sts = make_sts()
        sts["metadata"]["name"] = "web.v1"
        assert errors("statefulsets", sts) == ['metadata.name: Invalid value: "web.v1": must not contain dots']

    def test_statefulset_name_too_long(self):
        sts = make_sts()
        sts["metadata"]["name"] = "a" * 64
        assert errors("statefulsets", sts) == [
            'metadata.name: Invalid value: "%s": must be no more than 63 characters' % ("a" * 64)
        ]

    def test_pod_name_is_dns_subdomain(self):
        assert errors("pods", make_pod("web-0.db")) == []
        assert errors("pods", make_pod("Web_0")) == ['metadata.name: Invalid value: "Web_0": ' + DNS_SUBDOMAIN_MSG]

    def test_pvc_name_is_dns_subdomain(self):
        assert errors("persistentvolumeclaims", make_pvc(name="data.web-0")) == []
        assert errors("persistentvolumeclaims", make_pvc(name="-x")) == [
            'metadata.name: Invalid value: "-x": ' + DNS_SUBDOMAIN_MSG
        ]

    def test_namespace_name_is_dns_label(self):
        ns = {"metadata": {"name": "team.a"}}
        assert errors("namespaces", ns) == ['metadata.name: Invalid value: "team.a": must not contain dots']
        assert errors("namespaces", {"metadata": {"name": "team-a"}}) == []

    def test_service_name_is_dns1035_label(self):
        assert errors("services", {"metadata": {"name": "nginx"}, "spec": {}}) == []
        assert errors("services", {"metadata": {"name": "1nginx"}, "spec": {}}) == [
            'metadata.name: Invalid value: "1nginx": ' + DNS1035_MSG
        ]

    def test_other_resources_name_only(self):
        assert errors("configmaps", {"metadata": {"name": "cfg.v1"}, "data": {}}) == []
        assert errors("configmaps", {"metadata": {}}) == [
            "metadata.name: Required value: name or generateName is required"
        ]

    def test_label_key_and_value(self):
        pod = make_pod()
        pod["metadata"]["labels"] = {"bad key": "ok", "app": "-bad"}
        assert errors("pods", pod) == [
            'metadata.labels: Invalid value: "-bad": a valid label must be an empty string or consist '
            "of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
            "character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is "
            "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
            'metadata.labels: Invalid value: "bad key": name part must consist of alphanumeric '
            "characters, '-', '_' or '.', and must start and end with an alphanumeric character "
            "(e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
            "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
        ]

    def test_label_key_prefix_and_length(self):
        pod = make_pod()
        pod["metadata"]["labels"] = {"Example.com/app": "x", "a" * 64: "y", "apps.kubernetes.io/pod-index": "0"}
        errs = errors("pods", pod)
        assert errs == [
            'metadata.labels: Invalid value: "Example.com/app": prefix part ' + DNS_SUBDOMAIN_MSG,
            'metadata.labels: Invalid value: "%s": name part must be no more than 63 characters' % ("a" * 64),
        ]

    def test_label_value_too_long(self):
        pod = make_pod()
        pod["metadata"]["labels"] = {"app": "v" * 64}
        assert errors("pods", pod) == [
            'metadata.labels: Invalid value: "%s": must be no more than 63 characters' % ("v" * 64)
        ]

    def test_annotations_too_long(self):
        pod = make_pod()
        pod["metadata"]["annotations"] = {"big": "x" * (256 * 1024)}
        causes = validate("pods", defaulted("pods", pod))
        assert causes == [
            {
                "reason": "FieldValueTooLong",
                "message": "Too long: must have at most 262144 bytes",
                "field": "metadata.annotations",
            }
        ]


# ---------------------------------------------------------------------------
# StatefulSet validation
# ---------------------------------------------------------------------------

NEG = "Invalid value: -1: must be greater than or equal to 0"


class TestStatefulSetValidation:
    @pytest.mark.parametrize(
        "override,expected",
        [
            ({"replicas": -1}, "spec.replicas: " + NEG),
            ({"minReadySeconds": -1}, "spec.minReadySeconds: " + NEG),
            ({"ordinals": {"start": -1}}, "spec.ordinals.start: " + NEG),
            (
                {"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": -1}}},
                "spec.updateStrategy.rollingUpdate.partition: " + NEG,
            ),
        ],
    )
    def test_non_negative_fields(self, override, expected):
        assert errors("statefulsets", make_sts(**override)) == [expected]

    def test_zero_values_are_fine(self):
        sts = make_sts(replicas=0, minReadySeconds=0, ordinals={"start": 0})
        assert errors("statefulsets", sts) == []

    def test_replicas_negative_cause_shape(self):
        causes = validate("statefulsets", defaulted("statefulsets", make_sts(replicas=-1)))
        assert causes == [
            {
                "reason": "FieldValueInvalid",
                "message": "Invalid value: -1: must be greater than or equal to 0",
                "field": "spec.replicas",
            }
        ]

    @pytest.mark.parametrize(
        "value,expected",
        [
            (0, ["Invalid value: 0: cannot be 0"]),
            ("0%", ["Invalid value: 0%: cannot be 0"]),
            (-1, [NEG]),
            ("150%", ["Invalid value: 150%: must not be greater than 100%"]),
            (
                "abc",
                [
                    "Invalid value: abc: a valid percent string must be a numeric string followed by an "
                    "ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
                    "Invalid value: abc: cannot be 0",
                ],
            ),
            (2, []),
            ("100%", []),
            ("25%", []),
        ],
    )
    def test_max_unavailable_with_gate(self, value, expected):
        sts = make_sts(updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": value}})
        path = "spec.updateStrategy.rollingUpdate.maxUnavailable: "
        assert errors("statefulsets", sts, gate=True) == [path + e for e in expected]

    def test_max_unavailable_ignored_without_gate(self):
        sts = make_sts(updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0}})
        assert errors("statefulsets", sts) == []

    def test_max_unavailable_validated_without_gate_when_old_uses_it(self):
        old = defaulted("statefulsets", make_sts(updateStrategy={"rollingUpdate": {"maxUnavailable": 2}}))
        new = make_sts(updateStrategy={"rollingUpdate": {"maxUnavailable": 0}})
        assert errors("statefulsets", new, old=old) == [
            "spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: 0: cannot be 0"
        ]

    def test_drop_disabled_fields(self):
        sts = make_sts(updateStrategy={"rollingUpdate": {"maxUnavailable": 2}})
        drop_disabled_fields("statefulsets", sts)
        assert sts["spec"]["updateStrategy"]["rollingUpdate"] == {}
        kept = make_sts(updateStrategy={"rollingUpdate": {"maxUnavailable": 2}})
        drop_disabled_fields("statefulsets", kept, maxunavailable_gate=True)
        assert kept["spec"]["updateStrategy"]["rollingUpdate"] == {"maxUnavailable": 2}
        old = make_sts(updateStrategy={"rollingUpdate": {"maxUnavailable": 1}})
        in_use = make_sts(updateStrategy={"rollingUpdate": {"maxUnavailable": 2}})
        drop_disabled_fields("statefulsets", in_use, old=old)
        assert in_use["spec"]["updateStrategy"]["rollingUpdate"] == {"maxUnavailable": 2}

    def test_rolling_update_only_with_rolling_update_type(self):
        sts = make_sts(updateStrategy={"type": "OnDelete", "rollingUpdate": {"partition": 2}})
        assert errors("statefulsets", sts) == [
            "spec.updateStrategy.rollingUpdate: Invalid value: "
            "apps.RollingUpdateStatefulSetStrategy{Partition:2, MaxUnavailable:(*intstr.IntOrString)(nil)}: "
            "only allowed for updateStrategy 'RollingUpdate'"
        ]

    def test_on_delete_without_rolling_update_is_valid(self):
        assert errors("statefulsets", make_sts(updateStrategy={"type": "OnDelete"})) == []

    def test_bad_strategy_type(self):
        sts = make_sts(updateStrategy={"type": "Recreate"})
        assert errors("statefulsets", sts) == [
            'spec.updateStrategy: Invalid value: apps.StatefulSetUpdateStrategy{Type:"Recreate", '
            "RollingUpdate:(*apps.RollingUpdateStatefulSetStrategy)(nil)}: must be 'RollingUpdate' or 'OnDelete'"
        ]

    def test_bad_pod_management_policy(self):
        sts = make_sts(podManagementPolicy="X")
        assert errors("statefulsets", sts) == [
            "spec.podManagementPolicy: Invalid value: \"X\": must be 'OrderedReady' or 'Parallel'"
        ]

    def test_bad_retention_policy(self):
        sts = make_sts(persistentVolumeClaimRetentionPolicy={"whenDeleted": "Keep", "whenScaled": "X"})
        causes = validate("statefulsets", defaulted("statefulsets", sts))
        assert [c["reason"] for c in causes] == ["FieldValueNotSupported"] * 2
        assert ["%s: %s" % (c["field"], c["message"]) for c in causes] == [
            'spec.persistentVolumeClaimRetentionPolicy.whenDeleted: Unsupported value: "Keep": '
            'supported values: "Retain", "Delete"',
            'spec.persistentVolumeClaimRetentionPolicy.whenScaled: Unsupported value: "X": '
            'supported values: "Retain", "Delete"',
        ]

    def test_selector_required(self):
        sts = make_sts()
        del sts["spec"]["selector"]
        assert errors("statefulsets", sts) == [
            "spec.selector: Required value",
            'spec.template.metadata.labels: Invalid value: map[string]string{"app":"nginx"}: '
            "`selector` does not match template `labels`",
        ]

    def test_empty_selector(self):
        sts = make_sts(selector={})
        assert errors("statefulsets", sts) == [
            "spec.selector: Invalid value: &LabelSelector{MatchLabels:map[string]string{},"
            "MatchExpressions:[]LabelSelectorRequirement{},}: empty selector is invalid for statefulset"
        ]

    def test_selector_must_match_template_labels(self):
        sts = make_sts(selector={"matchLabels": {"app": "web"}})
        assert errors("statefulsets", sts) == [
            'spec.template.metadata.labels: Invalid value: map[string]string{"app":"nginx"}: '
            "`selector` does not match template `labels`"
        ]
        causes = validate("statefulsets", sts)
        assert causes[0]["reason"] == "FieldValueInvalid"

    def test_selector_match_expressions(self):
        sts = make_sts(
            selector={
                "matchLabels": {"app": "nginx"},
                "matchExpressions": [
                    {"key": "tier", "operator": "In", "values": ["web", "front"]},
                    {"key": "canary", "operator": "DoesNotExist"},
                ],
            }
        )
        sts["spec"]["template"]["metadata"]["labels"]["tier"] = "web"
        assert errors("statefulsets", sts) == []
        sts["spec"]["template"]["metadata"]["labels"]["canary"] = "yes"
        assert len(errors("statefulsets", sts)) == 1

    def test_selector_bad_operator(self):
        sts = make_sts(selector={"matchExpressions": [{"key": "app", "operator": "Equals", "values": ["x"]}]})
        assert errors("statefulsets", sts) == [
            'spec.selector.matchExpressions[0].operator: Invalid value: "Equals": not a valid selector operator',
            "spec.selector: Invalid value: &LabelSelector{MatchLabels:map[string]string{},"
            "MatchExpressions:[]LabelSelectorRequirement{LabelSelectorRequirement{Key:app,Operator:Equals,"
            "Values:[x],},},}",
        ]

    def test_selector_in_requires_values(self):
        sts = make_sts(selector={"matchExpressions": [{"key": "app", "operator": "In"}]})
        errs = errors("statefulsets", sts)
        assert errs[0] == (
            "spec.selector.matchExpressions[0].values: Required value: "
            "must be specified when `operator` is 'In' or 'NotIn'"
        )

    def test_restart_policy_must_be_always(self):
        sts = make_sts()
        sts["spec"]["template"]["spec"]["restartPolicy"] = "Never"
        assert errors("statefulsets", sts) == [
            'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"'
        ]

    def test_active_deadline_seconds_forbidden(self):
        sts = make_sts()
        sts["spec"]["template"]["spec"]["activeDeadlineSeconds"] = 60
        causes = validate("statefulsets", defaulted("statefulsets", sts))
        assert causes == [
            {
                "reason": "FieldValueForbidden",
                "message": "Forbidden: activeDeadlineSeconds in StatefulSet is not Supported",
                "field": "spec.template.spec.activeDeadlineSeconds",
            }
        ]

    def test_template_containers_required(self):
        sts = make_sts()
        sts["spec"]["template"]["spec"]["containers"] = []
        assert errors("statefulsets", sts) == ["spec.template.spec.containers: Required value"]

    def test_template_container_name_and_image_required(self):
        sts = make_sts()
        sts["spec"]["template"]["spec"]["containers"] = [{"ports": [{"containerPort": 80}]}]
        assert errors("statefulsets", sts) == [
            "spec.template.spec.containers[0].name: Required value",
            "spec.template.spec.containers[0].image: Required value",
        ]

    def test_template_container_checks_can_be_disabled(self, monkeypatch):
        monkeypatch.setattr(v, "STATEFULSET_VALIDATES_POD_TEMPLATE", False)
        sts = make_sts()
        sts["spec"]["template"]["spec"]["containers"] = [{"name": "x"}]
        assert errors("statefulsets", sts) == []

    def test_template_labels_validated(self):
        sts = make_sts()
        sts["spec"]["template"]["metadata"]["labels"]["bad/key/x"] = "v"
        errs = errors("statefulsets", sts)
        assert len(errs) == 1
        assert errs[0].startswith('spec.template.labels: Invalid value: "bad/key/x": a qualified name')

    def test_several_errors_in_server_order(self):
        sts = make_sts(replicas=-1, podManagementPolicy="Burst")
        sts["metadata"]["name"] = "Web"
        sts["spec"]["template"]["spec"]["restartPolicy"] = "OnFailure"
        assert [e.split(":")[0] for e in errors("statefulsets", sts)] == [
            "metadata.name",
            "spec.podManagementPolicy",
            "spec.replicas",
            "spec.template.spec.restartPolicy",
        ]


# ---------------------------------------------------------------------------
# StatefulSet update immutability
# ---------------------------------------------------------------------------


class TestStatefulSetUpdate:
    def stored(self, **overrides):
        return defaulted("statefulsets", make_sts(**overrides))

    def test_allowed_fields_may_change(self):
        old = self.stored()
        new = make_sts(
            replicas=5,
            minReadySeconds=10,
            ordinals={"start": 2},
            updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"partition": 3}},
            persistentVolumeClaimRetentionPolicy={"whenDeleted": "Delete", "whenScaled": "Delete"},
        )
        new["spec"]["template"]["spec"]["containers"][0]["image"] = "registry.k8s.io/nginx-slim:0.9"
        new["spec"]["template"]["metadata"]["annotations"] = {"kubectl.kubernetes.io/restartedAt": "now"}
        new["metadata"]["labels"] = {"team": "web"}
        new["status"] = {"replicas": 3, "readyReplicas": 3}
        assert errors("statefulsets", new, old=old) == []

    def test_unchanged_resubmission_passes(self):
        old = self.stored()
        assert errors("statefulsets", make_sts(), old=old) == []

    def test_switch_to_on_delete_allowed(self):
        old = self.stored()
        assert errors("statefulsets", make_sts(updateStrategy={"type": "OnDelete"}), old=old) == []

    @pytest.mark.parametrize(
        "change",
        [
            lambda s: s["spec"].update(serviceName="other"),
            lambda s: s["spec"].update(podManagementPolicy="Parallel"),
            lambda s: s["spec"].update(revisionHistoryLimit=3),
            lambda s: s["spec"]["selector"]["matchLabels"].update(tier="web"),
            lambda s: s["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"].update(storage="2Gi"),
            lambda s: s["spec"].pop("volumeClaimTemplates"),
        ],
    )
    def test_immutable_fields(self, change):
        old = self.stored()
        new = make_sts()
        new["spec"]["template"]["metadata"]["labels"]["tier"] = "web"
        change(new)
        errs = errors("statefulsets", new, old=old)
        assert errs == ["spec: " + STS_FORBIDDEN]

    def test_forbidden_cause_and_status(self):
        old = self.stored()
        new = make_sts(serviceName="other")
        causes = validate("statefulsets", defaulted("statefulsets", new), old=old)
        assert causes == [
            {"reason": "FieldValueForbidden", "message": STS_FORBIDDEN, "field": "spec"}
        ]
        body = invalid_status("StatefulSet", "apps", "web", causes)
        assert body["message"] == 'StatefulSet.apps "web" is invalid: spec: ' + STS_FORBIDDEN

    def test_update_still_validates_spec(self):
        old = self.stored()
        errs = errors("statefulsets", make_sts(replicas=-1), old=old)
        assert errs == ["spec.replicas: " + NEG]

    def test_update_with_empty_service_name_equivalent(self):
        old = self.stored(serviceName="")
        new = make_sts()
        del new["spec"]["serviceName"]
        assert errors("statefulsets", new, old=old) == []


# ---------------------------------------------------------------------------
# Pod validation
# ---------------------------------------------------------------------------


class TestPodValidation:
    def test_valid_pod(self):
        assert errors("pods", make_pod()) == []

    def test_containers_required(self):
        pod = make_pod()
        pod["spec"]["containers"] = []
        assert errors("pods", pod) == ["spec.containers: Required value"]

    def test_image_required(self):
        pod = make_pod()
        del pod["spec"]["containers"][0]["image"]
        causes = validate("pods", defaulted("pods", pod))
        assert causes == [{"reason": "FieldValueRequired", "message": "Required value", "field": "spec.containers[0].image"}]

    def test_name_required_and_dns_label(self):
        pod = make_pod()
        pod["spec"]["containers"] = [{"image": "a:1"}, {"name": "Side_car", "image": "b:1"}]
        assert errors("pods", pod) == [
            "spec.containers[0].name: Required value",
            'spec.containers[1].name: Invalid value: "Side_car": ' + DNS_LABEL_MSG,
        ]

    def test_duplicate_container_names(self):
        pod = make_pod()
        pod["spec"]["containers"].append({"name": "nginx", "image": "busybox:1.36"})
        causes = validate("pods", defaulted("pods", pod))
        assert causes == [
            {"reason": "FieldValueDuplicate", "message": 'Duplicate value: "nginx"', "field": "spec.containers[1].name"}
        ]

    def test_duplicate_with_init_container(self):
        pod = make_pod()
        pod["spec"]["initContainers"] = [{"name": "nginx", "image": "busybox:1.36"}]
        assert errors("pods", pod) == ['spec.initContainers[0].name: Duplicate value: "nginx"']

    def test_enum_fields(self):
        pod = make_pod()
        pod["spec"]["restartPolicy"] = "Sometimes"
        pod["spec"]["dnsPolicy"] = "Google"
        pod["spec"]["containers"][0]["imagePullPolicy"] = "Maybe"
        assert errors("pods", pod) == [
            'spec.containers[0].imagePullPolicy: Unsupported value: "Maybe": supported values: '
            '"Always", "IfNotPresent", "Never"',
            'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
            'spec.dnsPolicy: Unsupported value: "Google": supported values: '
            '"ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"',
        ]

    def test_ports(self):
        pod = make_pod()
        pod["spec"]["containers"][0]["ports"] = [
            {"containerPort": 70000},
            {"containerPort": 80, "protocol": "HTTP"},
            {"containerPort": 81, "name": "web"},
            {"containerPort": 82, "name": "web"},
        ]
        assert errors("pods", pod) == [
            "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
            'spec.containers[0].ports[1].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
            'spec.containers[0].ports[3].name: Duplicate value: "web"',
        ]

    def test_active_deadline_seconds_range(self):
        pod = make_pod()
        pod["spec"]["activeDeadlineSeconds"] = 0
        assert errors("pods", pod) == [
            "spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive"
        ]

    def test_volume_names(self):
        pod = make_pod()
        pod["spec"]["volumes"] = [{"name": "data"}, {"name": "data"}, {}]
        assert errors("pods", pod) == [
            'spec.volumes[1].name: Duplicate value: "data"',
            "spec.volumes[2].name: Required value",
        ]


class TestPodUpdate:
    def stored(self):
        pod = defaulted("pods", make_pod())
        pod["spec"]["nodeName"] = "node-1"
        pod["status"] = {"phase": "Pending"}
        return pod

    def new_from(self, old):
        new = copy.deepcopy(old)
        return new

    def test_status_only_change_passes(self):
        old = self.stored()
        new = self.new_from(old)
        new["status"] = {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}
        assert errors("pods", new, old=old) == []

    def test_metadata_change_passes(self):
        old = self.stored()
        new = self.new_from(old)
        new["metadata"]["labels"]["controller-revision-hash"] = "web-abc"
        new["metadata"]["ownerReferences"] = [{"kind": "StatefulSet", "name": "web"}]
        assert errors("pods", new, old=old) == []

    def test_allowed_spec_changes(self):
        old = self.stored()
        old["spec"]["tolerations"] = [{"key": "a", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 30}]
        old["spec"]["activeDeadlineSeconds"] = 600
        new = self.new_from(old)
        new["spec"]["containers"][0]["image"] = "nginx:1.26"
        new["spec"]["activeDeadlineSeconds"] = 300
        new["spec"]["tolerations"] = [
            {"key": "a", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 10},
            {"key": "b", "operator": "Exists"},
        ]
        assert errors("pods", new, old=old) == []

    def test_grace_period_negative_to_one(self):
        old = self.stored()
        old["spec"]["terminationGracePeriodSeconds"] = -1
        new = self.new_from(old)
        new["spec"]["terminationGracePeriodSeconds"] = 1
        assert errors("pods", new, old=old) == []

    def test_grace_period_other_change_forbidden(self):
        old = self.stored()
        new = self.new_from(old)
        new["spec"]["terminationGracePeriodSeconds"] = 5
        errs = errors("pods", new, old=old)
        assert len(errs) == 1
        assert errs[0].startswith("spec: " + POD_FORBIDDEN_PREFIX)
        assert "TerminationGracePeriodSeconds" in errs[0]

    def test_other_spec_change_forbidden(self):
        old = self.stored()
        new = self.new_from(old)
        new["spec"]["containers"][0]["ports"] = [{"containerPort": 8080}]
        causes = validate("pods", defaulted("pods", new), old=old)
        assert len(causes) == 1
        assert causes[0]["reason"] == "FieldValueForbidden"
        assert causes[0]["field"] == "spec"
        assert causes[0]["message"].startswith(POD_FORBIDDEN_PREFIX)

    def test_node_name_change_forbidden(self):
        old = self.stored()
        new = self.new_from(old)
        new["spec"]["nodeName"] = "node-2"
        assert errors("pods", new, old=old)[0].startswith("spec: " + POD_FORBIDDEN_PREFIX)

    def test_add_container_forbidden(self):
        old = self.stored()
        new = self.new_from(old)
        new["spec"]["containers"].append({"name": "side", "image": "busybox:1.36"})
        assert errors("pods", new, old=old) == ["spec.containers: Forbidden: pod updates may not add or remove containers"]

    def test_image_cleared_on_update(self):
        old = self.stored()
        new = self.new_from(old)
        new["spec"]["containers"][0]["image"] = ""
        assert errors("pods", new, old=old) == [
            "spec.containers[0].image: Required value",
            "spec.containers[0].image: Required value",
        ]

    def test_active_deadline_may_only_decrease(self):
        old = self.stored()
        old["spec"]["activeDeadlineSeconds"] = 100
        new = self.new_from(old)
        new["spec"]["activeDeadlineSeconds"] = 200
        assert errors("pods", new, old=old) == [
            "spec.activeDeadlineSeconds: Invalid value: 200: must be less than or equal to previous value"
        ]

    def test_toleration_removal_forbidden(self):
        old = self.stored()
        old["spec"]["tolerations"] = [{"key": "a", "operator": "Exists"}]
        new = self.new_from(old)
        new["spec"]["tolerations"] = []
        errs = errors("pods", new, old=old)
        assert errs[0] == "spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds"


# ---------------------------------------------------------------------------
# PVC validation
# ---------------------------------------------------------------------------


class TestPVCValidation:
    def test_valid(self):
        assert errors("persistentvolumeclaims", make_pvc()) == []

    def test_access_modes_required(self):
        pvc = make_pvc()
        del pvc["spec"]["accessModes"]
        causes = validate("persistentvolumeclaims", defaulted("persistentvolumeclaims", pvc))
        assert causes == [
            {
                "reason": "FieldValueRequired",
                "message": "Required value: at least 1 access mode is required",
                "field": "spec.accessModes",
            }
        ]

    def test_storage_required(self):
        pvc = make_pvc()
        pvc["spec"]["resources"] = {}
        assert errors("persistentvolumeclaims", pvc) == ["spec.resources[storage]: Required value"]

    def test_bad_access_mode_and_zero_storage(self):
        pvc = make_pvc()
        pvc["spec"]["accessModes"] = ["ReadWriteSometimes"]
        pvc["spec"]["resources"]["requests"]["storage"] = "0"
        assert errors("persistentvolumeclaims", pvc) == [
            'spec.accessModes: Unsupported value: "ReadWriteSometimes": supported values: '
            '"ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"',
            'spec.resources[storage]: Invalid value: "0": must be greater than zero',
        ]

    def stored(self, phase="Bound"):
        pvc = defaulted("persistentvolumeclaims", make_pvc())
        pvc["status"] = {"phase": phase}
        return pvc

    def test_expand_bound_claim(self):
        old = self.stored()
        new = copy.deepcopy(old)
        new["spec"]["resources"]["requests"]["storage"] = "2Gi"
        assert errors("persistentvolumeclaims", new, old=old) == []

    def test_set_volume_name_once(self):
        old = self.stored("Pending")
        new = copy.deepcopy(old)
        new["spec"]["volumeName"] = "pv-1"
        new["status"] = {"phase": "Bound"}
        assert errors("persistentvolumeclaims", new, old=old) == []
        newer = copy.deepcopy(new)
        newer["spec"]["volumeName"] = "pv-2"
        errs = errors("persistentvolumeclaims", newer, old=new)
        assert len(errs) == 1
        assert errs[0].startswith(
            "spec: Forbidden: spec is immutable after creation except resources.requests and "
            "volumeAttributesClassName for bound claims\n"
        )

    def test_access_mode_change_forbidden(self):
        old = self.stored()
        new = copy.deepcopy(old)
        new["spec"]["accessModes"] = ["ReadWriteMany"]
        causes = validate("persistentvolumeclaims", new, old=old)
        assert [c["reason"] for c in causes] == ["FieldValueForbidden"]
        assert causes[0]["field"] == "spec"

    # v1.32 (RecoverVolumeExpansionFailure beta, on): a request may go back down, to recover
    # from a failed expansion, but not to status.capacity or below (ValidatePersistentVolume-
    # ClaimUpdate; the e2e cases invalid-expand-shrink-to-status / valid-expand-shrink)
    @pytest.mark.parametrize("request_before, capacity, request_after, refused", [
        ("1Gi", "1Gi", "512Mi", True),          # below the capacity
        ("3Gi", "2Gi", "2Gi", True),            # down to the capacity
        ("3Gi", "2Gi", "2500Mi", False),        # down, still above the capacity
        ("1Gi", None, "512Mi", True),           # no capacity known
        ("1Gi", "1Gi", "1024Mi", False),        # the same quantity in other units
    ])
    def test_lowering_a_request(self, request_before, capacity, request_after, refused):
        old = self.stored()
        old["spec"]["resources"]["requests"]["storage"] = request_before
        if capacity:
            old["status"]["capacity"] = {"storage": capacity}
        new = copy.deepcopy(old)
        new["spec"]["resources"]["requests"]["storage"] = request_after
        expected = ["spec.resources.requests.storage: Forbidden: field can not be less than "
                    "status.capacity"] if refused else []
        assert errors("persistentvolumeclaims", new, old=old) == expected

    def test_resize_of_unbound_claim_forbidden(self):
        old = self.stored("Pending")
        new = copy.deepcopy(old)
        new["spec"]["resources"]["requests"]["storage"] = "2Gi"
        errs = errors("persistentvolumeclaims", new, old=old)
        assert len(errs) == 1 and errs[0].startswith("spec: Forbidden: spec is immutable")

    def test_status_only_change_passes(self):
        old = self.stored("Pending")
        new = copy.deepcopy(old)
        new["status"] = {"phase": "Bound", "capacity": {"storage": "1Gi"}}
        assert errors("persistentvolumeclaims", new, old=old) == []


# ---------------------------------------------------------------------------
# 422 Status body
# ---------------------------------------------------------------------------


class TestInvalidStatus:
    def test_single_cause(self):
        causes = [
            {
                "reason": "FieldValueInvalid",
                "message": "Invalid value: -1: must be greater than or equal to 0",
                "field": "spec.replicas",
            }
        ]
        assert invalid_status("StatefulSet", "apps", "web", causes) == {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": 'StatefulSet.apps "web" is invalid: spec.replicas: Invalid value: -1: '
            "must be greater than or equal to 0",
            "reason": "Invalid",
            "details": {"name": "web", "group": "apps", "kind": "StatefulSet", "causes": causes},
            "code": 422,
        }

    def test_several_causes(self):
        sts = make_sts(replicas=-1, minReadySeconds=-1)
        causes = validate("statefulsets", defaulted("statefulsets", sts))
        body = invalid_status("StatefulSet", "apps", "web", causes)
        assert body["message"] == (
            'StatefulSet.apps "web" is invalid: [spec.replicas: Invalid value: -1: must be greater than '
            "or equal to 0, spec.minReadySeconds: Invalid value: -1: must be greater than or equal to 0]"
        )
        assert body["details"]["causes"] == causes

    def test_core_group(self):
        pod = make_pod()
        del pod["spec"]["containers"][0]["image"]
        causes = validate("pods", defaulted("pods", pod))
        body = invalid_status("Pod", "", "web-0", causes)
        assert body["message"] == 'Pod "web-0" is invalid: spec.containers[0].image: Required value'
        assert body["details"] == {"name": "web-0", "kind": "Pod", "causes": causes}

    def test_duplicate_messages_collapsed_in_message_only(self):
        cause = {"reason": "FieldValueRequired", "message": "Required value", "field": "spec.containers[0].image"}
        body = invalid_status("Pod", "", "p", [cause, dict(cause)])
        assert body["message"] == 'Pod "p" is invalid: spec.containers[0].image: Required value'
        assert len(body["details"]["causes"]) == 2

    def test_no_causes(self):
        body = invalid_status("StatefulSet", "apps", "web", [])
        assert body["message"] == 'StatefulSet.apps "web" is invalid'
        assert "causes" not in body["details"]


@pytest.mark.parametrize("check", ["is_dns1123_label", "is_dns1035_label", "is_valid_percent"])
def test_a_trailing_newline_is_not_accepted(check):
    """Go's `$` ends the text; Python's `$` also matches before a final newline."""
    from kubectl_sts.k8s import names
    good = "5%" if check == "is_valid_percent" else "web"
    assert getattr(names, check)(good) == []
    assert getattr(names, check)(good + "\n") != []
