"""The Kubernetes messages the sandbox decodes from protobuf bodies (protobuf.py), as tables:
SCHEMA is message name -> {field number: (json name, type, flags)}, with the field numbers of
the upstream generated.proto files (k8s.io/api core/v1, apps/v1, policy/v1, storage/v1,
autoscaling/v1; apimachinery meta/v1, util/intstr, api/resource); KINDS names the message of
each (apiVersion, kind) an envelope may carry.

Types: ``s`` string, ``i`` integer (int32/int64, two's complement), ``b`` bool, ``y`` bytes
(base64 in JSON), ``t`` Time, ``mt`` MicroTime, ``ios`` IntOrString, ``q`` Quantity, ``fields``
FieldsV1, ``raw`` RawExtension, ``map:X`` a map<string, X>, any other name a message of SCHEMA.
Flags: ``r`` repeated, ``k`` keep zero values (a pointer, or a field without omitempty), ``n``
inline (an embedded struct whose JSON fields are the parent's).
"""

from typing import Dict, Tuple

Field = Tuple[str, str, str]            # (json name, type, flags)


def _m(**fields: str) -> Dict[int, Field]:
    """A message: keyword f<number>="json type [flags]"."""
    table: Dict[int, Field] = {}
    for key, spec in fields.items():
        parts = spec.split()
        table[int(key[1:])] = (parts[0], parts[1], parts[2] if len(parts) > 2 else "")
    return table


SCHEMA: Dict[str, Dict[int, Field]] = {
    # meta/v1 --------------------------------------------------------------------------------
    "ObjectMeta": _m(
        f1="name s", f2="generateName s", f3="namespace s", f4="selfLink s", f5="uid s",
        f6="resourceVersion s", f7="generation i", f8="creationTimestamp t",
        f9="deletionTimestamp t", f10="deletionGracePeriodSeconds i k",
        f11="labels map:s", f12="annotations map:s", f13="ownerReferences OwnerReference r",
        f14="finalizers s r", f17="managedFields ManagedFieldsEntry r"),
    "OwnerReference": _m(f5="apiVersion s k", f1="kind s k", f3="name s k", f4="uid s k",
                         f6="controller b k", f7="blockOwnerDeletion b k"),
    "ManagedFieldsEntry": _m(f1="manager s", f2="operation s", f3="apiVersion s", f4="time t",
                             f6="fieldsType s", f7="fieldsV1 fields", f8="subresource s"),
    "LabelSelector": _m(f1="matchLabels map:s",
                        f2="matchExpressions LabelSelectorRequirement r"),
    "LabelSelectorRequirement": _m(f1="key s k", f2="operator s k", f3="values s r"),
    "Condition": _m(f1="type s k", f2="status s k", f3="observedGeneration i",
                    f4="lastTransitionTime t", f5="reason s k", f6="message s k"),
    "DeleteOptions": _m(f1="gracePeriodSeconds i k", f2="preconditions Preconditions",
                        f3="orphanDependents b k", f4="propagationPolicy s k", f5="dryRun s r",
                        f6="ignoreStoreReadErrorWithClusterBreakingPotential b k"),
    "Preconditions": _m(f1="uid s k", f2="resourceVersion s k"),

    # core/v1: Namespace, Secret, ConfigMap, ServiceAccount -------------------------------------
    "Namespace": _m(f1="metadata ObjectMeta", f2="spec NamespaceSpec",
                    f3="status NamespaceStatus"),
    "NamespaceSpec": _m(f1="finalizers s r"),
    "NamespaceStatus": _m(f1="phase s", f2="conditions NamespaceCondition r"),
    "NamespaceCondition": _m(f1="type s k", f2="status s k", f4="lastTransitionTime t",
                             f5="reason s", f6="message s"),
    "Secret": _m(f1="metadata ObjectMeta", f5="immutable b k", f2="data map:y",
                 f4="stringData map:s", f3="type s"),
    "ConfigMap": _m(f1="metadata ObjectMeta", f4="immutable b k", f2="data map:s",
                    f3="binaryData map:y"),
    "ServiceAccount": _m(f1="metadata ObjectMeta", f2="secrets ObjectReference r",
                         f3="imagePullSecrets LocalObjectReference r",
                         f4="automountServiceAccountToken b k"),
    "ObjectReference": _m(f1="kind s", f2="namespace s", f3="name s", f4="uid s",
                          f5="apiVersion s", f6="resourceVersion s", f7="fieldPath s"),
    "LocalObjectReference": _m(f1="name s"),
    "TypedLocalObjectReference": _m(f1="apiGroup s k", f2="kind s k", f3="name s k"),
    "TypedObjectReference": _m(f1="apiGroup s k", f2="kind s k", f3="name s k",
                               f4="namespace s k"),
    "SecretReference": _m(f1="name s", f2="namespace s"),

    # core/v1: Service -----------------------------------------------------------------------
    "Service": _m(f1="metadata ObjectMeta", f2="spec ServiceSpec", f3="status ServiceStatus"),
    "ServiceSpec": _m(
        f1="ports ServicePort r", f2="selector map:s", f3="clusterIP s", f18="clusterIPs s r",
        f4="type s", f5="externalIPs s r", f7="sessionAffinity s", f8="loadBalancerIP s",
        f9="loadBalancerSourceRanges s r", f10="externalName s",
        f11="externalTrafficPolicy s", f12="healthCheckNodePort i",
        f13="publishNotReadyAddresses b", f14="sessionAffinityConfig SessionAffinityConfig",
        f19="ipFamilies s r", f17="ipFamilyPolicy s k",
        f20="allocateLoadBalancerNodePorts b k", f21="loadBalancerClass s k",
        f22="internalTrafficPolicy s k", f23="trafficDistribution s k"),
    "ServicePort": _m(f1="name s", f2="protocol s", f6="appProtocol s k", f3="port i k",
                      f4="targetPort ios", f5="nodePort i"),
    "SessionAffinityConfig": _m(f1="clientIP ClientIPConfig"),
    "ClientIPConfig": _m(f1="timeoutSeconds i k"),
    "ServiceStatus": _m(f1="loadBalancer LoadBalancerStatus", f2="conditions Condition r"),
    "LoadBalancerStatus": _m(f1="ingress LoadBalancerIngress r"),
    "LoadBalancerIngress": _m(f1="ip s", f2="hostname s", f3="ipMode s k",
                              f4="ports PortStatus r"),
    "PortStatus": _m(f1="port i k", f2="protocol s k", f3="error s k"),

    # core/v1: PersistentVolumeClaim, PersistentVolume -----------------------------------------
    "PersistentVolumeClaim": _m(f1="metadata ObjectMeta", f2="spec PersistentVolumeClaimSpec",
                                f3="status PersistentVolumeClaimStatus"),
    "PersistentVolumeClaimSpec": _m(
        f1="accessModes s r", f4="selector LabelSelector",
        f2="resources VolumeResourceRequirements", f3="volumeName s",
        f5="storageClassName s k", f6="volumeMode s k",
        f7="dataSource TypedLocalObjectReference", f8="dataSourceRef TypedObjectReference",
        f9="volumeAttributesClassName s k"),
    "VolumeResourceRequirements": _m(f1="limits map:q", f2="requests map:q"),
    "PersistentVolumeClaimStatus": _m(
        f1="phase s", f2="accessModes s r", f3="capacity map:q",
        f4="conditions PersistentVolumeClaimCondition r", f5="allocatedResources map:q",
        f7="allocatedResourceStatuses map:s", f8="currentVolumeAttributesClassName s k",
        f9="modifyVolumeStatus ModifyVolumeStatus"),
    "PersistentVolumeClaimCondition": _m(f1="type s k", f2="status s k", f3="lastProbeTime t",
                                         f4="lastTransitionTime t", f5="reason s",
                                         f6="message s"),
    "ModifyVolumeStatus": _m(f1="targetVolumeAttributesClassName s", f2="status s k"),
    "PersistentVolumeClaimTemplate": _m(f1="metadata ObjectMeta",
                                        f2="spec PersistentVolumeClaimSpec"),
    "PersistentVolume": _m(f1="metadata ObjectMeta", f2="spec PersistentVolumeSpec",
                           f3="status PersistentVolumeStatus"),
    "PersistentVolumeSpec": _m(
        f1="capacity map:q", f2="persistentVolumeSource PersistentVolumeSource n",
        f3="accessModes s r", f4="claimRef ObjectReference",
        f5="persistentVolumeReclaimPolicy s", f6="storageClassName s", f7="mountOptions s r",
        f8="volumeMode s k", f9="nodeAffinity VolumeNodeAffinity",
        f10="volumeAttributesClassName s k"),
    "PersistentVolumeSource": _m(f3="hostPath HostPathVolumeSource", f5="nfs NFSVolumeSource",
                                 f20="local LocalVolumeSource",
                                 f22="csi CSIPersistentVolumeSource"),
    "PersistentVolumeStatus": _m(f1="phase s", f2="message s", f3="reason s",
                                 f4="lastPhaseTransitionTime t"),
    "VolumeNodeAffinity": _m(f1="required NodeSelector"),
    "LocalVolumeSource": _m(f1="path s k", f2="fsType s k"),
    "NFSVolumeSource": _m(f1="server s k", f2="path s k", f3="readOnly b"),
    "CSIPersistentVolumeSource": _m(
        f1="driver s k", f2="volumeHandle s k", f3="readOnly b", f4="fsType s",
        f5="volumeAttributes map:s", f6="controllerPublishSecretRef SecretReference",
        f7="nodeStageSecretRef SecretReference", f8="nodePublishSecretRef SecretReference",
        f9="controllerExpandSecretRef SecretReference",
        f10="nodeExpandSecretRef SecretReference"),

    # core/v1: Pod ---------------------------------------------------------------------------
    "Pod": _m(f1="metadata ObjectMeta", f2="spec PodSpec", f3="status PodStatus"),
    "PodTemplateSpec": _m(f1="metadata ObjectMeta", f2="spec PodSpec"),
    "PodSpec": _m(
        f1="volumes Volume r", f20="initContainers Container r", f2="containers Container r",
        f34="ephemeralContainers EphemeralContainer r", f3="restartPolicy s",
        f4="terminationGracePeriodSeconds i k", f5="activeDeadlineSeconds i k",
        f6="dnsPolicy s", f7="nodeSelector map:s", f8="serviceAccountName s",
        f9="serviceAccount s", f21="automountServiceAccountToken b k", f10="nodeName s",
        f11="hostNetwork b", f12="hostPID b", f13="hostIPC b",
        f27="shareProcessNamespace b k", f14="securityContext PodSecurityContext",
        f15="imagePullSecrets LocalObjectReference r", f16="hostname s", f17="subdomain s",
        f18="affinity Affinity", f19="schedulerName s", f22="tolerations Toleration r",
        f23="hostAliases HostAlias r", f24="priorityClassName s", f25="priority i k",
        f26="dnsConfig PodDNSConfig", f28="readinessGates PodReadinessGate r",
        f29="runtimeClassName s k", f30="enableServiceLinks b k", f31="preemptionPolicy s k",
        f32="overhead map:q", f33="topologySpreadConstraints TopologySpreadConstraint r",
        f35="setHostnameAsFQDN b k", f36="os PodOS", f37="hostUsers b k",
        f38="schedulingGates PodSchedulingGate r", f39="resourceClaims PodResourceClaim r",
        f40="resources ResourceRequirements"),
    "Container": _m(
        f1="name s k", f2="image s", f3="command s r", f4="args s r", f5="workingDir s",
        f6="ports ContainerPort r", f19="envFrom EnvFromSource r", f7="env EnvVar r",
        f8="resources ResourceRequirements", f23="resizePolicy ContainerResizePolicy r",
        f24="restartPolicy s k", f9="volumeMounts VolumeMount r",
        f21="volumeDevices VolumeDevice r", f10="livenessProbe Probe",
        f11="readinessProbe Probe", f22="startupProbe Probe", f12="lifecycle Lifecycle",
        f13="terminationMessagePath s", f20="terminationMessagePolicy s",
        f14="imagePullPolicy s", f15="securityContext SecurityContext", f16="stdin b",
        f17="stdinOnce b", f18="tty b"),
    "EphemeralContainer": _m(f1="ephemeralContainerCommon Container n",
                             f2="targetContainerName s"),
    "ContainerPort": _m(f1="name s", f2="hostPort i", f3="containerPort i k", f4="protocol s",
                        f5="hostIP s"),
    "ContainerResizePolicy": _m(f1="resourceName s k", f2="restartPolicy s k"),
    "EnvVar": _m(f1="name s k", f2="value s", f3="valueFrom EnvVarSource"),
    "EnvVarSource": _m(f1="fieldRef ObjectFieldSelector",
                       f2="resourceFieldRef ResourceFieldSelector",
                       f3="configMapKeyRef ConfigMapKeySelector",
                       f4="secretKeyRef SecretKeySelector"),
    "ObjectFieldSelector": _m(f1="apiVersion s", f2="fieldPath s k"),
    "ResourceFieldSelector": _m(f1="containerName s", f2="resource s k", f3="divisor q"),
    "ConfigMapKeySelector": _m(f1="localObjectReference LocalObjectReference n", f2="key s k",
                               f3="optional b k"),
    "SecretKeySelector": _m(f1="localObjectReference LocalObjectReference n", f2="key s k",
                            f3="optional b k"),
    "EnvFromSource": _m(f1="prefix s", f2="configMapRef ConfigMapEnvSource",
                        f3="secretRef SecretEnvSource"),
    "ConfigMapEnvSource": _m(f1="localObjectReference LocalObjectReference n",
                             f2="optional b k"),
    "SecretEnvSource": _m(f1="localObjectReference LocalObjectReference n", f2="optional b k"),
    "ResourceRequirements": _m(f1="limits map:q", f2="requests map:q",
                               f3="claims ResourceClaim r"),
    "ResourceClaim": _m(f1="name s k", f2="request s"),
    "VolumeMount": _m(f1="name s k", f2="readOnly b", f7="recursiveReadOnly s k",
                      f3="mountPath s k", f4="subPath s", f5="mountPropagation s k",
                      f6="subPathExpr s"),
    "VolumeDevice": _m(f1="name s k", f2="devicePath s k"),
    "Probe": _m(f1="handler ProbeHandler n", f2="initialDelaySeconds i",
                f3="timeoutSeconds i", f4="periodSeconds i", f5="successThreshold i",
                f6="failureThreshold i", f7="terminationGracePeriodSeconds i k"),
    "ProbeHandler": _m(f1="exec ExecAction", f2="httpGet HTTPGetAction",
                       f3="tcpSocket TCPSocketAction", f4="grpc GRPCAction"),
    "ExecAction": _m(f1="command s r"),
    "HTTPGetAction": _m(f1="path s", f2="port ios", f3="host s", f4="scheme s",
                        f5="httpHeaders HTTPHeader r"),
    "HTTPHeader": _m(f1="name s k", f2="value s k"),
    "TCPSocketAction": _m(f1="port ios", f2="host s"),
    "GRPCAction": _m(f1="port i k", f2="service s k"),
    "Lifecycle": _m(f1="postStart LifecycleHandler", f2="preStop LifecycleHandler"),
    "LifecycleHandler": _m(f1="exec ExecAction", f2="httpGet HTTPGetAction",
                           f3="tcpSocket TCPSocketAction", f4="sleep SleepAction"),
    "SleepAction": _m(f1="seconds i k"),
    "SecurityContext": _m(
        f1="capabilities Capabilities", f2="privileged b k", f3="seLinuxOptions SELinuxOptions",
        f10="windowsOptions WindowsSecurityContextOptions", f4="runAsUser i k",
        f8="runAsGroup i k", f5="runAsNonRoot b k", f6="readOnlyRootFilesystem b k",
        f7="allowPrivilegeEscalation b k", f9="procMount s k",
        f11="seccompProfile SeccompProfile", f12="appArmorProfile AppArmorProfile"),
    "Capabilities": _m(f1="add s r", f2="drop s r"),
    "SELinuxOptions": _m(f1="user s", f2="role s", f3="type s", f4="level s"),
    "WindowsSecurityContextOptions": _m(f1="gmsaCredentialSpecName s k",
                                        f2="gmsaCredentialSpec s k", f3="runAsUserName s k",
                                        f4="hostProcess b k"),
    "SeccompProfile": _m(f1="type s k", f2="localhostProfile s k"),
    "AppArmorProfile": _m(f1="type s k", f2="localhostProfile s k"),
    "PodSecurityContext": _m(
        f1="seLinuxOptions SELinuxOptions", f8="windowsOptions WindowsSecurityContextOptions",
        f2="runAsUser i k", f6="runAsGroup i k", f3="runAsNonRoot b k",
        f4="supplementalGroups i r", f12="supplementalGroupsPolicy s k", f5="fsGroup i k",
        f7="sysctls Sysctl r", f9="fsGroupChangePolicy s k",
        f10="seccompProfile SeccompProfile", f11="appArmorProfile AppArmorProfile",
        f13="seLinuxChangePolicy s k"),
    "Sysctl": _m(f1="name s k", f2="value s k"),
    "Toleration": _m(f1="key s", f2="operator s", f3="value s", f4="effect s",
                     f5="tolerationSeconds i k"),
    "HostAlias": _m(f1="ip s k", f2="hostnames s r"),
    "PodDNSConfig": _m(f1="nameservers s r", f2="searches s r",
                       f3="options PodDNSConfigOption r"),
    "PodDNSConfigOption": _m(f1="name s", f2="value s k"),
    "PodReadinessGate": _m(f1="conditionType s k"),
    "PodOS": _m(f1="name s k"),
    "PodSchedulingGate": _m(f1="name s k"),
    "PodResourceClaim": _m(f1="name s k", f3="resourceClaimName s k",
                           f4="resourceClaimTemplateName s k"),
    "Affinity": _m(f1="nodeAffinity NodeAffinity", f2="podAffinity PodAffinity",
                   f3="podAntiAffinity PodAntiAffinity"),
    "NodeAffinity": _m(f1="requiredDuringSchedulingIgnoredDuringExecution NodeSelector",
                       f2="preferredDuringSchedulingIgnoredDuringExecution "
                          "PreferredSchedulingTerm r"),
    "NodeSelector": _m(f1="nodeSelectorTerms NodeSelectorTerm r"),
    "NodeSelectorTerm": _m(f1="matchExpressions NodeSelectorRequirement r",
                           f2="matchFields NodeSelectorRequirement r"),
    "NodeSelectorRequirement": _m(f1="key s k", f2="operator s k", f3="values s r"),
    "PreferredSchedulingTerm": _m(f1="weight i k", f2="preference NodeSelectorTerm"),
    "PodAffinity": _m(f1="requiredDuringSchedulingIgnoredDuringExecution PodAffinityTerm r",
                      f2="preferredDuringSchedulingIgnoredDuringExecution "
                         "WeightedPodAffinityTerm r"),
    "PodAntiAffinity": _m(f1="requiredDuringSchedulingIgnoredDuringExecution "
                             "PodAffinityTerm r",
                          f2="preferredDuringSchedulingIgnoredDuringExecution "
                             "WeightedPodAffinityTerm r"),
    "PodAffinityTerm": _m(f1="labelSelector LabelSelector", f2="namespaces s r",
                          f3="topologyKey s k", f4="namespaceSelector LabelSelector",
                          f5="matchLabelKeys s r", f6="mismatchLabelKeys s r"),
    "WeightedPodAffinityTerm": _m(f1="weight i k", f2="podAffinityTerm PodAffinityTerm"),
    "TopologySpreadConstraint": _m(
        f1="maxSkew i k", f2="topologyKey s k", f3="whenUnsatisfiable s k",
        f4="labelSelector LabelSelector", f5="minDomains i k", f6="nodeAffinityPolicy s k",
        f7="nodeTaintsPolicy s k", f8="matchLabelKeys s r"),
    "Volume": _m(f1="name s k", f2="volumeSource VolumeSource n"),
    "VolumeSource": _m(
        f1="hostPath HostPathVolumeSource", f2="emptyDir EmptyDirVolumeSource",
        f6="secret SecretVolumeSource", f7="nfs NFSVolumeSource",
        f10="persistentVolumeClaim PersistentVolumeClaimVolumeSource",
        f16="downwardAPI DownwardAPIVolumeSource", f19="configMap ConfigMapVolumeSource",
        f26="projected ProjectedVolumeSource", f28="csi CSIVolumeSource",
        f29="ephemeral EphemeralVolumeSource", f30="image ImageVolumeSource"),
    "HostPathVolumeSource": _m(f1="path s k", f2="type s k"),
    "EmptyDirVolumeSource": _m(f1="medium s", f2="sizeLimit q"),
    "SecretVolumeSource": _m(f1="secretName s", f2="items KeyToPath r", f3="defaultMode i k",
                             f4="optional b k"),
    "KeyToPath": _m(f1="key s k", f2="path s k", f3="mode i k"),
    "PersistentVolumeClaimVolumeSource": _m(f1="claimName s k", f2="readOnly b"),
    "DownwardAPIVolumeSource": _m(f1="items DownwardAPIVolumeFile r", f2="defaultMode i k"),
    "DownwardAPIVolumeFile": _m(f1="path s k", f2="fieldRef ObjectFieldSelector",
                                f3="resourceFieldRef ResourceFieldSelector", f4="mode i k"),
    "ConfigMapVolumeSource": _m(f1="localObjectReference LocalObjectReference n",
                                f2="items KeyToPath r", f3="defaultMode i k",
                                f4="optional b k"),
    "ProjectedVolumeSource": _m(f1="sources VolumeProjection r", f2="defaultMode i k"),
    "VolumeProjection": _m(f1="secret SecretProjection", f2="downwardAPI DownwardAPIProjection",
                           f3="configMap ConfigMapProjection",
                           f4="serviceAccountToken ServiceAccountTokenProjection"),
    "SecretProjection": _m(f1="localObjectReference LocalObjectReference n",
                           f2="items KeyToPath r", f4="optional b k"),
    "ConfigMapProjection": _m(f1="localObjectReference LocalObjectReference n",
                              f2="items KeyToPath r", f4="optional b k"),
    "DownwardAPIProjection": _m(f1="items DownwardAPIVolumeFile r"),
    "ServiceAccountTokenProjection": _m(f1="audience s", f2="expirationSeconds i k",
                                        f3="path s k"),
    "CSIVolumeSource": _m(f1="driver s k", f2="readOnly b k", f3="fsType s k",
                          f4="volumeAttributes map:s",
                          f5="nodePublishSecretRef LocalObjectReference"),
    "EphemeralVolumeSource": _m(f1="volumeClaimTemplate PersistentVolumeClaimTemplate"),
    "ImageVolumeSource": _m(f1="reference s", f2="pullPolicy s"),
    "PodStatus": _m(
        f1="phase s", f2="conditions PodCondition r", f3="message s", f4="reason s",
        f11="nominatedNodeName s", f5="hostIP s", f16="hostIPs HostIP r", f6="podIP s",
        f12="podIPs PodIP r", f7="startTime t", f10="initContainerStatuses ContainerStatus r",
        f8="containerStatuses ContainerStatus r", f9="qosClass s",
        f13="ephemeralContainerStatuses ContainerStatus r", f14="resize s",
        f15="resourceClaimStatuses PodResourceClaimStatus r"),
    "PodCondition": _m(f1="type s k", f2="status s k", f3="lastProbeTime t",
                       f4="lastTransitionTime t", f5="reason s", f6="message s"),
    "PodIP": _m(f1="ip s k"),
    "HostIP": _m(f1="ip s k"),
    "PodResourceClaimStatus": _m(f1="name s k", f2="resourceClaimName s k"),
    "ContainerStatus": _m(
        f1="name s k", f2="state ContainerState", f3="lastState ContainerState",
        f4="ready b k", f5="restartCount i k", f6="image s k", f7="imageID s k",
        f8="containerID s", f9="started b k", f10="allocatedResources map:q",
        f11="resources ResourceRequirements"),
    "ContainerState": _m(f1="waiting ContainerStateWaiting", f2="running ContainerStateRunning",
                         f3="terminated ContainerStateTerminated"),
    "ContainerStateWaiting": _m(f1="reason s", f2="message s"),
    "ContainerStateRunning": _m(f1="startedAt t"),
    "ContainerStateTerminated": _m(f1="exitCode i k", f2="signal i", f3="reason s",
                                   f4="message s", f5="startedAt t", f6="finishedAt t",
                                   f7="containerID s"),

    # core/v1: Event, Node --------------------------------------------------------------------
    "Event": _m(
        f1="metadata ObjectMeta", f2="involvedObject ObjectReference", f3="reason s",
        f4="message s", f5="source EventSource", f6="firstTimestamp t", f7="lastTimestamp t",
        f8="count i", f9="type s", f10="eventTime mt", f11="series EventSeries",
        f12="action s", f13="related ObjectReference", f14="reportingComponent s k",
        f15="reportingInstance s k"),
    "EventSource": _m(f1="component s", f2="host s"),
    "EventSeries": _m(f1="count i", f2="lastObservedTime mt"),
    "Node": _m(f1="metadata ObjectMeta", f2="spec NodeSpec", f3="status NodeStatus"),
    "NodeSpec": _m(f1="podCIDR s", f7="podCIDRs s r", f3="providerID s", f4="unschedulable b",
                   f5="taints Taint r", f2="externalID s"),
    "Taint": _m(f1="key s k", f2="value s", f3="effect s k", f4="timeAdded t"),
    "NodeStatus": _m(
        f1="capacity map:q", f2="allocatable map:q", f3="phase s",
        f4="conditions NodeCondition r", f5="addresses NodeAddress r",
        f6="daemonEndpoints NodeDaemonEndpoints", f7="nodeInfo NodeSystemInfo",
        f8="images ContainerImage r", f9="volumesInUse s r",
        f10="volumesAttached AttachedVolume r"),
    "NodeCondition": _m(f1="type s k", f2="status s k", f3="lastHeartbeatTime t",
                        f4="lastTransitionTime t", f5="reason s", f6="message s"),
    "NodeAddress": _m(f1="type s k", f2="address s k"),
    "NodeDaemonEndpoints": _m(f1="kubeletEndpoint DaemonEndpoint"),
    "DaemonEndpoint": _m(f1="Port i k"),
    "NodeSystemInfo": _m(
        f1="machineID s k", f2="systemUUID s k", f3="bootID s k", f4="kernelVersion s k",
        f5="osImage s k", f6="containerRuntimeVersion s k", f7="kubeletVersion s k",
        f8="kubeProxyVersion s k", f9="operatingSystem s k", f10="architecture s k"),
    "ContainerImage": _m(f1="names s r", f2="sizeBytes i"),
    "AttachedVolume": _m(f1="name s k", f2="devicePath s k"),

    # apps/v1 --------------------------------------------------------------------------------
    "StatefulSet": _m(f1="metadata ObjectMeta", f2="spec StatefulSetSpec",
                      f3="status StatefulSetStatus"),
    "StatefulSetSpec": _m(
        f1="replicas i k", f2="selector LabelSelector", f3="template PodTemplateSpec",
        f4="volumeClaimTemplates PersistentVolumeClaim r", f5="serviceName s",
        f6="podManagementPolicy s", f7="updateStrategy StatefulSetUpdateStrategy",
        f8="revisionHistoryLimit i k", f9="minReadySeconds i",
        f10="persistentVolumeClaimRetentionPolicy "
            "StatefulSetPersistentVolumeClaimRetentionPolicy",
        f11="ordinals StatefulSetOrdinals"),
    "StatefulSetUpdateStrategy": _m(f1="type s", f2="rollingUpdate "
                                                   "RollingUpdateStatefulSetStrategy"),
    "RollingUpdateStatefulSetStrategy": _m(f1="partition i k", f2="maxUnavailable ios"),
    "StatefulSetPersistentVolumeClaimRetentionPolicy": _m(f1="whenDeleted s", f2="whenScaled s"),
    "StatefulSetOrdinals": _m(f1="start i"),
    "StatefulSetStatus": _m(
        f1="observedGeneration i", f2="replicas i k", f3="readyReplicas i",
        f4="currentReplicas i", f5="updatedReplicas i", f6="currentRevision s",
        f7="updateRevision s", f9="collisionCount i k",
        f10="conditions StatefulSetCondition r", f11="availableReplicas i k"),
    "StatefulSetCondition": _m(f1="type s k", f2="status s k", f3="lastTransitionTime t",
                               f4="reason s", f5="message s"),
    "ControllerRevision": _m(f1="metadata ObjectMeta", f2="data raw", f3="revision i k"),

    # policy/v1 ------------------------------------------------------------------------------
    "PodDisruptionBudget": _m(f1="metadata ObjectMeta", f2="spec PodDisruptionBudgetSpec",
                              f3="status PodDisruptionBudgetStatus"),
    "PodDisruptionBudgetSpec": _m(f1="minAvailable ios", f2="selector LabelSelector",
                                  f3="maxUnavailable ios", f4="unhealthyPodEvictionPolicy s k"),
    "PodDisruptionBudgetStatus": _m(
        f1="observedGeneration i", f2="disruptedPods map:t", f3="disruptionsAllowed i k",
        f4="currentHealthy i k", f5="desiredHealthy i k", f6="expectedPods i k",
        f7="conditions Condition r"),

    # autoscaling/v1 -------------------------------------------------------------------------
    "HorizontalPodAutoscaler": _m(f1="metadata ObjectMeta",
                                  f2="spec HorizontalPodAutoscalerSpec",
                                  f3="status HorizontalPodAutoscalerStatus"),
    "HorizontalPodAutoscalerSpec": _m(f1="scaleTargetRef CrossVersionObjectReference",
                                      f2="minReplicas i k", f3="maxReplicas i k",
                                      f4="targetCPUUtilizationPercentage i k"),
    "CrossVersionObjectReference": _m(f1="kind s k", f2="name s k", f3="apiVersion s"),
    "HorizontalPodAutoscalerStatus": _m(f1="observedGeneration i k", f2="lastScaleTime t",
                                        f3="currentReplicas i k", f4="desiredReplicas i k",
                                        f5="currentCPUUtilizationPercentage i k"),
    "Scale": _m(f1="metadata ObjectMeta", f2="spec ScaleSpec", f3="status ScaleStatus"),
    "ScaleSpec": _m(f1="replicas i"),
    "ScaleStatus": _m(f1="replicas i k", f2="selector s"),

    # storage/v1 -----------------------------------------------------------------------------
    "StorageClass": _m(f1="metadata ObjectMeta", f2="provisioner s k", f3="parameters map:s",
                       f4="reclaimPolicy s k", f5="mountOptions s r",
                       f6="allowVolumeExpansion b k", f7="volumeBindingMode s k",
                       f8="allowedTopologies TopologySelectorTerm r"),
    "TopologySelectorTerm": _m(f1="matchLabelExpressions TopologySelectorLabelRequirement r"),
    "TopologySelectorLabelRequirement": _m(f1="key s k", f2="values s r"),

    # scheduling/v1 --------------------------------------------------------------------------
    "PriorityClass": _m(f1="metadata ObjectMeta", f2="value i k", f3="globalDefault b",
                        f4="description s", f5="preemptionPolicy s"),
}

# The envelope's (apiVersion, kind) -> message: the kinds the sandbox serves (and Secret,
# ConfigMap, ServiceAccount, StorageClass), DeleteOptions (kubectl drain) and Scale.
KINDS = {(api_version, kind): kind for api_version, kind in [
    ("v1", "Namespace"), ("v1", "Pod"), ("v1", "Service"), ("v1", "PersistentVolumeClaim"),
    ("v1", "PersistentVolume"), ("v1", "Event"), ("v1", "Node"), ("v1", "Secret"),
    ("v1", "ConfigMap"), ("v1", "ServiceAccount"), ("apps/v1", "StatefulSet"),
    ("apps/v1", "ControllerRevision"), ("policy/v1", "PodDisruptionBudget"),
    ("autoscaling/v1", "HorizontalPodAutoscaler"), ("autoscaling/v1", "Scale"),
    ("storage.k8s.io/v1", "StorageClass"), ("scheduling.k8s.io/v1", "PriorityClass"),
]}
for _version in ("v1", "meta.k8s.io/v1", "policy/v1", "apps/v1", "autoscaling/v1",
                 "storage.k8s.io/v1", "scheduling.k8s.io/v1"):
    KINDS[(_version, "DeleteOptions")] = "DeleteOptions"


# the RBAC objects, the reviews and TokenRequest: protoschema_auth.py
from .protoschema_auth import KINDS as _AUTH_KINDS, SCHEMA as _AUTH_SCHEMA  # noqa: E402
SCHEMA.update({kind: _m(**fields) for kind, fields in _AUTH_SCHEMA.items()})
KINDS.update(_AUTH_KINDS)
for _version in ("rbac.authorization.k8s.io/v1", "authorization.k8s.io/v1",
                 "authentication.k8s.io/v1"):
    KINDS[(_version, "DeleteOptions")] = "DeleteOptions"
