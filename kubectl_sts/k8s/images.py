"""Container image references: the grammar of github.com/distribution/reference (what the
kubelet parses; anything else fails the pod with InvalidImageName) and the tag the kubelet
defaults `imagePullPolicy` from (pkg/apis/core/v1/defaults.go, SetDefaults_Container)."""

import re
from typing import Optional

_ALNUM = r"[a-z0-9]+"
_PATH_COMPONENT = _ALNUM + r"(?:(?:[._]|__|-+)" + _ALNUM + r")*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = r"(?:%s(?:\.%s)*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?" % (_DOMAIN_COMPONENT,
                                                               _DOMAIN_COMPONENT)
_NAME = r"(?:%s/)?%s(?:/%s)*" % (_DOMAIN, _PATH_COMPONENT, _PATH_COMPONENT)
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
REFERENCE = re.compile(r"(?P<name>%s)(?::(?P<tag>%s))?(?:@(?P<digest>%s))?\Z"
                       % (_NAME, _TAG, _DIGEST), re.ASCII)
NAME_TOTAL_LENGTH_MAX = 255


def image_problem(image: str) -> Optional[str]:
    """Why `image` is not a valid image reference (one phrase), or None."""
    if not image:
        return "an image must not be empty"
    if any(c.isspace() for c in image):
        return "an image reference must not contain whitespace"
    match = REFERENCE.match(image)
    if match is None:
        if REFERENCE.match(image.lower()):
            return "the repository name must be lowercase"
        return ("not a valid image reference ([REGISTRY[:PORT]/]REPOSITORY[:TAG][@DIGEST], "
                "lowercase ASCII repository)")
    if len(match.group("name")) > NAME_TOTAL_LENGTH_MAX:
        return "the repository name must not be longer than %d characters" \
            % NAME_TOTAL_LENGTH_MAX
    return None


def image_tag(image: object) -> str:
    """The tag the kubelet's ParseImageName reports: the explicit tag, "latest" when neither
    tag nor digest is given, "" for a digest only or an unparseable reference."""
    if not isinstance(image, str):
        return ""
    match = REFERENCE.match(image)
    if not match:
        return ""
    if match.group("tag"):
        return match.group("tag")
    return "" if match.group("digest") else "latest"
