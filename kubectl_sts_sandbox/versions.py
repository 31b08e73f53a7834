"""The Kubernetes releases the sandbox plays (1.32 to 1.37) and the feature gates it models.

A release fixes what `/version` answers, which API groups/versions discovery lists, and the
default of every feature gate. Gates can be turned on or off as kube-apiserver's
`--feature-gates Name=bool,...` does, with its parsing and its error messages.

Upstream:
- the versioned defaults: pkg/features/kube_features.go, `defaultVersionedKubernetesFeatureGates`
  (each gate a list of {Version, Default, PreRelease, LockToDefault}; the spec in force at a
  release is the last one whose Version is not after it);
- the flag: staging/src/k8s.io/component-base/featuregate/feature_gate.go, `Set` (the
  `Name=bool,...` syntax, `missing bool value for`, `invalid value of`) and `unsafeSetFromMap`
  (`unrecognized feature gate`, `cannot set feature gate ... feature is locked to ...`,
  `... feature is PreAlpha at emulated version ...`), and the `AllAlpha`/`AllBeta` meta-gates
  (`setUnsetAlphaGates`, `setUnsetBetaGates`: every gate of that stage not given explicitly);
- pflag wraps a flag's error as `invalid argument "VALUE" for "--feature-gates" flag: ERR`.
"""

from typing import Dict, List, Mapping, NamedTuple, Optional, Tuple

from kubectl_sts.k8s.gostrings import parse_bool


class Release(NamedTuple):
    minor: int
    git_version: str
    go_version: str
    build_date: str


# The x.y.0 release of each minor the sandbox plays. goVersion: v1.32.0's is the one the
# sandbox always answered; for the others the Go minor is the one each release branch builds
# with (e.g. release-1.36 on go1.26, #140581; the v1.37.0-alpha.1 notes list go1.26.3 and
# go1.26.4), the patch digit is not verified against a published binary. buildDate: the
# release day (1.37: August 2026, the day not verified).
RELEASES: Dict[str, Release] = {
    "1.32": Release(32, "v1.32.0", "go1.23.3", "2024-12-11T00:00:00Z"),
    "1.33": Release(33, "v1.33.0", "go1.24.2", "2025-04-23T00:00:00Z"),
    "1.34": Release(34, "v1.34.0", "go1.24.6", "2025-08-27T00:00:00Z"),
    "1.35": Release(35, "v1.35.0", "go1.25.5", "2025-12-17T00:00:00Z"),
    "1.36": Release(36, "v1.36.0", "go1.26.2", "2026-04-22T00:00:00Z"),
    "1.37": Release(37, "v1.37.0", "go1.26.5", "2026-08-26T00:00:00Z"),
}
SUPPORTED: Tuple[str, ...] = tuple(RELEASES)
DEFAULT = SUPPORTED[-1]

ALPHA, BETA, GA, DEPRECATED, PRE_ALPHA = "ALPHA", "BETA", "GA", "DEPRECATED", "PreAlpha"


class Spec(NamedTuple):
    """featuregate.FeatureSpec at one version."""
    since: int               # the minor version this spec takes effect (1.<since>)
    default: bool
    stage: str
    locked: bool = False


# defaultVersionedKubernetesFeatureGates, for the gates whose behaviour the sandbox models.
FEATURES: Dict[str, Tuple[Spec, ...]] = {
    # KEP-961. Alpha 1.24; beta and on in 1.35 (#133153); turned off again for a regression
    # with Parallel pod management (#137409) in 1.36 (#137904) and in 1.35.4 (cherry-pick
    # #137926; the sandbox plays v1.35.0, where it is still on); on again in 1.37 (#139466,
    # after the fix #137666). Read in kube_features.go up to the 1.35 entry; the 1.36 and
    # 1.37 entries follow those merged pull requests.
    "MaxUnavailableStatefulSet": (Spec(24, False, ALPHA), Spec(35, True, BETA),
                                  Spec(36, False, BETA), Spec(37, True, BETA)),
    # KEP-1790. Alpha 1.23, beta and on 1.32, GA and locked 1.34 ("GA in 1.34").
    "RecoverVolumeExpansionFailure": (Spec(23, False, ALPHA), Spec(32, True, BETA),
                                      Spec(34, True, GA, locked=True)),
    # KEP-3751. Alpha 1.29, beta (off: its API is off by default) 1.31, GA and on 1.34, locked
    # from 1.36 (GA in 1.34 does not lock it: it can still be turned off in 1.34 and 1.35).
    "VolumeAttributesClass": (Spec(29, False, ALPHA), Spec(31, False, BETA), Spec(34, True, GA),
                              Spec(36, True, GA, locked=True)),
    # KEP-3541: updateStrategy.type Recreate. Alpha in 1.37 (#137187; the website's
    # StatefulSet page names the gate StatefulSetRecreateStrategy, #56326/#57543).
    "StatefulSetRecreateStrategy": (Spec(37, False, ALPHA),),
    # kube-scheduler: an idle scheduler pops pods from the backoff queue at once. Beta and on
    # from 1.33 (kube_features.go; scheduler.py, schedqueue.py).
    "SchedulerPopFromBackoffQ": (Spec(33, True, BETA),),
}
META_GATES = ("AllAlpha", "AllBeta")


class FeatureGateError(ValueError):
    """A --feature-gates value kube-apiserver refuses; str() is its message."""


def minor_of(version: str) -> int:
    """The minor of a supported version (`1.35`, `v1.35`, `1.35.0`); ValueError otherwise."""
    text = version.strip()
    if text.startswith("v"):
        text = text[1:]
    parts = text.split(".")
    if len(parts) in (2, 3) and all(p.isdigit() for p in parts) and (
            len(parts) == 2 or parts[2] == "0"):
        key = "%d.%d" % (int(parts[0]), int(parts[1]))
        if key in RELEASES:
            return RELEASES[key].minor
    raise ValueError("unsupported Kubernetes version %r: one of %s" % (
        version, ", ".join(SUPPORTED)))


def normalize(version: str) -> str:
    """`v1.35.0` -> `1.35` (ValueError for an unsupported one)."""
    return "1.%d" % minor_of(version)


def spec_at(name: str, minor: int) -> Spec:
    """featureSpecAtEmulationVersion: the last spec not after 1.<minor>; before the first one
    the gate is PreAlpha (off, cannot be set)."""
    found = Spec(0, False, PRE_ALPHA)
    for spec in FEATURES[name]:
        if spec.since <= minor:
            found = spec
    return found


def parse_feature_gates(value: str) -> Dict[str, bool]:
    """featureGate.Set's parsing of `Name=bool,Name=bool` (empty items skipped, spaces
    trimmed); FeatureGateError with its words."""
    out: Dict[str, bool] = {}
    for item in value.split(","):
        if not item:
            continue
        pair = item.split("=", 1)
        key = pair[0].strip()
        if len(pair) != 2:
            raise FeatureGateError("missing bool value for %s" % key)
        text = pair[1].strip()
        flag = parse_bool(text)
        if flag is None:
            raise FeatureGateError('invalid value of %s=%s, err: strconv.ParseBool: parsing '
                                   '"%s": invalid syntax' % (key, text, text))
        out[key] = flag
    return out


class FeatureGates:
    """The gates of one release with the overrides of --feature-gates applied."""

    def __init__(self, version: str = DEFAULT,
                 overrides: Optional[Mapping[str, bool]] = None) -> None:
        self.version = normalize(version)
        self.minor = minor_of(self.version)
        self.overrides: Dict[str, bool] = {}
        self._enabled = {name: spec_at(name, self.minor).default for name in FEATURES}
        if overrides:
            self._set(dict(overrides))

    def _set(self, gates: Dict[str, bool]) -> None:
        """unsafeSetFromMap: an unknown name stops at once; the other errors are collected
        (utilerrors.NewAggregate: one message alone, several as `[a, b]`)."""
        errors: List[str] = []
        for name, value in gates.items():
            if name not in FEATURES and name not in META_GATES:
                raise FeatureGateError("unrecognized feature gate: %s" % name)
        for name in META_GATES:
            if name in gates:
                stage = ALPHA if name == "AllAlpha" else BETA
                for gate in FEATURES:
                    spec = spec_at(gate, self.minor)
                    if spec.stage == stage and not spec.locked and gate not in gates:
                        self._enabled[gate] = gates[name]
        for name, value in gates.items():
            if name in META_GATES:
                continue
            spec = spec_at(name, self.minor)
            if spec.locked and spec.default != value:
                errors.append("cannot set feature gate %s to %s, feature is locked to %s" % (
                    name, _go_bool(value), _go_bool(spec.default)))
                continue
            if spec.stage == PRE_ALPHA:
                errors.append("cannot set feature gate %s to %s, feature is PreAlpha at "
                              "emulated version %s" % (name, _go_bool(value), self.version))
                continue
            self._enabled[name] = value
            self.overrides[name] = value
        if errors:
            raise FeatureGateError(errors[0] if len(errors) == 1 else
                                   "[" + ", ".join(errors) + "]")

    def enabled(self, name: str) -> bool:
        """featureGate.Enabled (a gate the sandbox does not model is a bug: KeyError)."""
        return self._enabled[name]

    def as_dict(self) -> Dict[str, bool]:
        """Every modelled gate and whether it is on."""
        return dict(self._enabled)

    def __repr__(self) -> str:
        return "FeatureGates(%r, %r)" % (self.version, self.overrides)


def _go_bool(value: bool) -> str:
    return "true" if value else "false"


def version_info(version: str) -> Dict[str, str]:
    """The /version document (version.Info) of a release."""
    release = RELEASES[normalize(version)]
    return {"major": "1", "minor": str(release.minor), "gitVersion": release.git_version,
            "gitCommit": "sandbox", "gitTreeState": "clean", "buildDate": release.build_date,
            "goVersion": release.go_version, "compiler": "gc", "platform": "linux/amd64"}


def describe_gates() -> str:
    """One line per modelled gate: its default in each release, runs of releases grouped
    (`MaxUnavailableStatefulSet: 1.32-1.34 off, 1.35 on, ...`), for --help."""
    lines = []
    for name in FEATURES:
        runs: List[Tuple[str, str, str]] = []          # (first, last, state)
        for key in SUPPORTED:
            spec = spec_at(name, RELEASES[key].minor)
            if spec.stage == PRE_ALPHA:
                continue
            state = ("locked " if spec.locked else "") + ("on" if spec.default else "off")
            if runs and runs[-1][2] == state:
                runs[-1] = (runs[-1][0], key, state)
            else:
                runs.append((key, key, state))
        lines.append("%s: %s" % (name, ", ".join(
            "%s %s" % (first if first == last else "%s-%s" % (first, last), state)
            for first, last, state in runs)))
    return "\n".join(lines)
