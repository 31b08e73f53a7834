"""Shell completion.

`kubectl sts completion bash|zsh|fish` prints a script that completes the `kubectl-sts`
command. `kubectl sts <TAB>` itself is completed by kubectl (1.26 and newer), which runs
`kubectl_complete-sts ARGS... PARTIAL` from PATH and reads one candidate per line and a last
line `:<directive>` (cobra's ShellCompDirective). Both go through `complete()` here:
subcommands, flags, choices, contexts and namespaces, and StatefulSet names read from the
cluster, and the commands after `help`. A cluster that cannot be read gives no names, never
an error."""

import sys
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple

import click

# cobra's ShellCompDirective bits
DIRECTIVE_DEFAULT = 0          # the shell may complete file names
DIRECTIVE_NO_FILE = 4

SHELLS = ("bash", "zsh", "fish")
CLUSTER_TIMEOUT = "3s"

# value-taking flags whose values are file names
FILE_FLAGS = {"--kubeconfig", "--certificate-authority", "--client-certificate",
              "--client-key", "--patch", "-f", "--filename", "--backup-file"}


class CompletionOptions(NamedTuple):
    shell: str              # bash, zsh, fish, or __complete (the protocol, for the scripts)
    words: Tuple[str, ...]  # __complete's: -- ARGS... PARTIAL


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("shell", metavar="bash|zsh|fish")
@click.argument("words", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def completion(ctx: click.Context, **flags: Any) -> int:
    """Print a shell completion script (bash, zsh or fish).

    \b
    Examples:
      # Load completion into the current bash (or zsh) session
      source <(kubectl-sts completion bash)

    \b
      # fish
      kubectl-sts completion fish | source

    `kubectl sts <TAB>` is completed by kubectl itself through the `kubectl_complete-sts`
    executable (installed by pip; see the README for krew)."""
    options = validate(CompletionOptions(**flags))
    return run(ctx.find_root().command, options)


def validate(options: CompletionOptions) -> CompletionOptions:
    if options.shell == "__complete":
        return options
    if options.shell not in SHELLS:
        raise click.UsageError("unsupported shell %r: choose bash, zsh or fish" % options.shell)
    if options.words:
        raise click.UsageError("unexpected arguments: %s" % " ".join(options.words))
    return options


def run(root: click.Command, options: CompletionOptions) -> int:
    """The script of a shell, or (__complete) the candidates for the words, over `root`."""
    if options.shell == "__complete":
        words = list(options.words)
        click.echo(format_completions(*complete(root, words[:-1], words[-1] if words else "")),
                   nl=False)
        return 0
    click.echo(SCRIPTS[options.shell].strip("\n"))
    return 0


def format_completions(candidates: Sequence[str], directive: int) -> str:
    return "".join(c + "\n" for c in candidates) + ":%d\n" % directive


def main(root: click.Command, argv: Optional[List[str]] = None) -> int:
    """`kubectl_complete-sts ARGS... PARTIAL`: kubectl's plugin completion protocol, over the
    command tree `root` (cli.complete_main passes it: this module never imports the CLI)."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        candidates, directive = complete(root, args[:-1], args[-1] if args else "")
    except Exception:          # completion must never print a traceback into a shell
        candidates, directive = [], DIRECTIVE_DEFAULT
    try:
        sys.stdout.write(format_completions(candidates, directive))
        sys.stdout.flush()
    except BrokenPipeError:
        pass
    return 0


# -- the completer --------------------------------------------------------------------------

def _takes_value(param: click.Parameter) -> bool:
    return isinstance(param, click.Option) and not param.is_flag and not param.count


def _option_names(command: click.Command) -> List[str]:
    names: List[str] = []
    for param in command.params:
        if isinstance(param, click.Option):
            names.extend(param.opts)
            names.extend(param.secondary_opts)
    names.extend(["-h", "--help"])
    return names


def _find_option(command: click.Command, name: str) -> Optional[click.Option]:
    for param in command.params:
        if isinstance(param, click.Option) and name in param.opts + param.secondary_opts:
            return param
    return None


def complete(root: click.Command, args: List[str], partial: str) -> Tuple[List[str], int]:
    """(candidates, directive) for the words `args` already typed and the word `partial`,
    over the command tree `root`."""
    ctx = click.Context(root, info_name="kubectl-sts", resilient_parsing=True)
    command, chain = root, [root]
    positionals: List[str] = []
    flags: Dict[str, str] = {}  # option name -> value, for the connection (-n, --context...)
    i = 0
    only_args = False
    while i < len(args):
        word = args[i]
        if not only_args and word == "--":
            only_args = True
        elif not only_args and word.startswith("-") and word != "-":
            name, _, inline = word.partition("=")
            option = _find_option(command, name)
            if option is not None and _takes_value(option):
                if "=" in word:
                    flags[name] = inline
                elif i + 1 < len(args):
                    flags[name] = args[i + 1]
                    i += 1
                else:
                    flags[name] = ""
        elif isinstance(command, click.Group):
            sub = command.get_command(ctx, word)
            if sub is None:
                return [], DIRECTIVE_NO_FILE
            command = sub
            chain.append(sub)
        else:
            positionals.append(word)
        i += 1

    # the value of a flag: `--flag <TAB>` or `--flag=<TAB>`
    previous = args[-1] if args else None
    if partial.startswith("-") and "=" in partial:
        name, _, value = partial.partition("=")
        option = _find_option(command, name)
        if option is not None and _takes_value(option):
            values, directive = _option_values(option, name, value, flags, positionals)
            return [name + "=" + v for v in values], directive
    elif previous and previous.startswith("-") and "=" not in previous and not only_args:
        option = _find_option(command, previous)
        if option is not None and _takes_value(option):
            flags.pop(previous, None)
            return _option_values(option, previous, partial, flags, positionals)

    if partial.startswith("-"):
        return sorted(n for n in set(_option_names(command)) if n.startswith(partial)), \
            DIRECTIVE_NO_FILE
    if isinstance(command, click.Group):
        return [n for n in command.list_commands(ctx) if n.startswith(partial)], \
            DIRECTIVE_NO_FILE
    arguments = [p for p in command.params if isinstance(p, click.Argument)]
    if len(positionals) < len(arguments) and arguments[len(positionals)].name == "name":
        return [n for n in statefulset_names(flags) if n.startswith(partial)], DIRECTIVE_NO_FILE
    if command.name == "completion" and not positionals:
        return [s for s in SHELLS if s.startswith(partial)], DIRECTIVE_NO_FILE
    if command.name == "help" and not positionals and isinstance(root, click.Group):
        # cobra's help command completes the commands, itself included (InitDefaultHelpCmd)
        return [n for n in root.list_commands(ctx) if n.startswith(partial)], DIRECTIVE_NO_FILE
    return [], DIRECTIVE_NO_FILE


def _option_values(option: click.Option, name: str, partial: str, flags: Dict[str, str],
                   positionals: Sequence[str] = ()) -> Tuple[List[str], int]:
    if name in FILE_FLAGS or isinstance(option.type, (click.Path, click.File)):
        return [], DIRECTIVE_DEFAULT
    choices = getattr(option.callback, "choices", None) or \
        (option.type.choices if isinstance(option.type, click.Choice) else None)
    if choices:
        return [c for c in choices if c.startswith(partial)], DIRECTIVE_NO_FILE
    if name in ("-n", "--namespace"):
        return [n for n in namespaces(flags) if n.startswith(partial)], DIRECTIVE_NO_FILE
    if name == "--from" and positionals:           # restore's snapshot set, of NAME
        return [n for n in snapshot_sets(flags, positionals[0]) if n.startswith(partial)], \
            DIRECTIVE_NO_FILE
    if name in ("--context", "--cluster", "--user"):
        kind = {"--context": "contexts", "--cluster": "clusters", "--user": "users"}[name]
        return [n for n in kubeconfig_names(flags, kind) if n.startswith(partial)], \
            DIRECTIVE_NO_FILE
    return [], DIRECTIVE_NO_FILE


# -- what the cluster and the kubeconfig know -----------------------------------------------

FLAG_FIELDS = {"--kubeconfig": "kubeconfig", "--context": "context", "-n": "namespace",
               "--namespace": "namespace", "--cluster": "cluster", "--user": "user",
               "-s": "server", "--server": "server", "--token": "token", "--as": "as_user",
               "--certificate-authority": "certificate_authority",
               "--client-certificate": "client_certificate", "--client-key": "client_key"}


def _connection(flags: Dict[str, str], with_namespace: bool = True) -> Any:
    from ..client.connection import Connection
    from ..client.kubeconfig import ConnectionOptions
    options = {field: flags[flag] for flag, field in FLAG_FIELDS.items() if flags.get(flag)}
    if not with_namespace:
        options.pop("namespace", None)
    options["request_timeout"] = CLUSTER_TIMEOUT
    return Connection(ConnectionOptions(**options))


def _names(conn: Any, url: str) -> List[str]:
    payload = conn.get(url, limit="500")
    return sorted(item["metadata"]["name"] for item in payload.get("items") or [])


def statefulset_names(flags: Dict[str, str]) -> List[str]:
    """Names of the StatefulSets of the namespace in use; [] when the cluster can't say."""
    try:
        from ..core.names import check_namespace
        from ..client.paths import path
        conn = _connection(flags)
        check_namespace(conn.namespace)        # never a path: a hostile -n gives no names
        return _names(conn, path("statefulsets", conn.namespace))
    except Exception:
        return []


def snapshot_sets(flags: Dict[str, str], sts_name: str) -> List[str]:
    """The snapshot sets of StatefulSet `sts_name` (their VolumeSnapshots' set label); [] when
    the cluster can't say."""
    try:
        from ..core.labels import SNAPSHOT_SET_LABEL, SNAPSHOT_STS_LABEL
        from ..core.names import check_namespace
        from ..client.paths import path
        conn = _connection(flags)
        check_namespace(conn.namespace)
        found = conn.get(path("volumesnapshots", conn.namespace), limit="500",
                         labelSelector="%s=%s" % (SNAPSHOT_STS_LABEL, sts_name))
        return sorted({(s["metadata"].get("labels") or {}).get(SNAPSHOT_SET_LABEL) or ""
                       for s in found.get("items") or []} - {""})
    except Exception:
        return []


def namespaces(flags: Dict[str, str]) -> List[str]:
    try:
        from ..client.paths import path
        return _names(_connection(flags, with_namespace=False), path("namespaces"))
    except Exception:
        return []


def kubeconfig_names(flags: Dict[str, str], kind: str) -> List[str]:
    try:
        from ..client.kubeconfig import kubeconfig_paths, load_kubeconfig
        explicit = flags.get("--kubeconfig")
        config = load_kubeconfig(kubeconfig_paths(explicit), bool(explicit))
        return sorted({e.get("name") for e in config[kind] if e.get("name")})
    except Exception:
        return []


# -- the scripts ----------------------------------------------------------------------------
# Each asks `kubectl-sts completion __complete -- WORDS... PARTIAL` and honours the
# directive's "no file completion" bit.

BASH = r'''
# bash completion for kubectl-sts (kubectl sts <TAB> is completed by kubectl itself)
_kubectl_sts_complete() {
    local cur out directive line
    cur="${COMP_WORDS[COMP_CWORD]}"
    out=$(kubectl-sts completion __complete -- "${COMP_WORDS[@]:1:COMP_CWORD-1}" "$cur" 2>/dev/null)
    directive=$(printf '%s\n' "$out" | tail -n 1)
    directive=${directive#:}
    COMPREPLY=()
    while IFS= read -r line; do
        [ -n "$line" ] && [ "${line:0:1}" != ":" ] && COMPREPLY+=("$line")
    done <<< "$out"
    if [ ${#COMPREPLY[@]} -eq 0 ] && [ $(( ${directive:-0} & 4 )) -eq 0 ]; then
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}
complete -o default -F _kubectl_sts_complete kubectl-sts
'''

ZSH = r'''
#compdef kubectl-sts
# zsh completion for kubectl-sts (kubectl sts <TAB> is completed by kubectl itself)
_kubectl_sts() {
    local -a lines candidates
    local directive
    lines=("${(@f)$(kubectl-sts completion __complete -- "${(@)words[2,CURRENT-1]}" \
        "${words[CURRENT]}" 2>/dev/null)}")
    directive=${lines[-1]#:}
    candidates=("${(@)lines[1,-2]}")
    if (( ${#candidates} )); then
        compadd -- "${candidates[@]}"
    elif (( (${directive:-0} & 4) == 0 )); then
        _files
    fi
}
if [ "$funcstack[1]" = "_kubectl_sts" ]; then
    _kubectl_sts "$@"
else
    compdef _kubectl_sts kubectl-sts
fi
'''

FISH = r'''
# fish completion for kubectl-sts (kubectl sts <TAB> is completed by kubectl itself)
function __kubectl_sts_complete
    set -l words (commandline -opc)
    set -e words[1]
    set -l out (kubectl-sts completion __complete -- $words (commandline -ct) 2>/dev/null)
    for line in $out
        if not string match -q -- ':*' $line
            echo $line
        end
    end
end
complete -c kubectl-sts -f -a '(__kubectl_sts_complete)'
'''

SCRIPTS = {"bash": BASH, "zsh": ZSH, "fish": FISH}
