"""cobra's words at the root of a command tree, as kubectl prints them: the suggestions after
an unknown command, and the help command's answer to an unknown topic. Pure, standard library
only (read on the click path, never on start.py's).

From spf13/cobra:
- args.go, legacyArgs: `unknown command %q for %q%s`, the last %s being findSuggestions';
- command.go, findSuggestions: "\\n\\nDid you mean this?\\n" then "\\t%v\\n" per suggestion, with
  SuggestionsMinimumDistance 2 unless set;
- command.go, SuggestionsFor: every available command (not hidden, not deprecated, not the
  help command: IsAvailableCommand) whose name is within that Levenshtein distance of the
  typed word, or starts with it, both ignoring case; then every command that lists the typed
  word (any case) in its SuggestFor; in the order of the commands;
- cobra.go, ld: the Levenshtein distance over bytes, lower-cased first;
- command.go, InitDefaultHelpCmd: an unknown topic prints `Unknown help topic %#q` of the
  arguments, then the root's usage (on stderr), and exits 0."""

from typing import List, Mapping, Sequence

SUGGESTIONS_MINIMUM_DISTANCE = 2       # findSuggestions' default


def levenshtein(s: str, t: str, ignore_case: bool = True) -> int:
    """cobra's ld: the edit distance between the UTF-8 bytes of s and t."""
    if ignore_case:
        s, t = s.lower(), t.lower()
    a, b = s.encode("utf-8"), t.encode("utf-8")
    previous = list(range(len(a) + 1))
    for j in range(1, len(b) + 1):
        current = [j] + [0] * len(a)
        for i in range(1, len(a) + 1):
            if a[i - 1] == b[j - 1]:
                current[i] = previous[i - 1]
            else:
                current[i] = min(previous[i], current[i - 1], previous[i - 1]) + 1
        previous = current
    return previous[len(a)]


def suggestions_for(typed: str, commands: Sequence[str],
                    suggest_for: Mapping[str, Sequence[str]],
                    distance: int = SUGGESTIONS_MINIMUM_DISTANCE) -> List[str]:
    """cobra's SuggestionsFor over the available commands' names (in their order) and their
    SuggestFor words. A name can come twice, as in cobra (near, and listed)."""
    out: List[str] = []
    for name in commands:
        if levenshtein(typed, name) <= distance or name.lower().startswith(typed.lower()):
            out.append(name)
        for word in suggest_for.get(name, ()):
            if word.lower() == typed.lower():        # strings.EqualFold
                out.append(name)
    return out


def unknown_command(typed: str, command_path: str, commands: Sequence[str],
                    suggest_for: Mapping[str, Sequence[str]]) -> str:
    """legacyArgs' error text with findSuggestions' tail (it ends with a newline when there
    are suggestions: printed with a newline of its own, a blank line follows, as kubectl's)."""
    from ..k8s.gostrings import go_quote
    text = "unknown command %s for %s" % (go_quote(typed), go_quote(command_path))
    suggestions = suggestions_for(typed, commands, suggest_for)
    if suggestions:
        text += "\n\nDid you mean this?\n" + "".join("\t%s\n" % s for s in suggestions)
    return text


def go_backquote(s: str) -> str:
    """Go's `%#q` of a string: in backquotes when strconv.CanBackquote (no backquote, no
    control character but tab, no U+FEFF), else as `%q`."""
    from ..k8s.gostrings import go_quote
    if "`" in s or "\ufeff" in s or any(c != "\t" and (ord(c) < 0x20 or ord(c) == 0x7f)
                                        for c in s):
        return go_quote(s)
    return "`%s`" % s


def unknown_help_topic(args: Sequence[str]) -> str:
    """The help command's line for a topic that is no command: `%#q` of the argument slice."""
    return "Unknown help topic [%s]" % " ".join(go_backquote(a) for a in args)
