"""Private files: written without following a planted symlink, read only when trusted.

One home for every file the plugin and the sandbox write for the user alone (the sandbox's
kubeconfig, resize's backup, the cache's entries): the data goes to a new file made in the
final folder with O_CREAT|O_EXCL|O_NOFOLLOW and mode 0600 (a name nobody could have planted,
as Python's tempfile.mkstemp and Go's os.CreateTemp pick theirs), is flushed to disk, then
renamed onto the final path. rename(2) replaces a symlink at the final path, never writes
through it. The folders it creates are 0700, one at a time, each refused if a symlink took
its place meanwhile. kubectl writes its kubeconfig the same way in spirit
(client-go tools/clientcmd/loader.go WriteToFile: a 0600 file, its folders 0755); here the
folders are 0700 because what they hold (pod templates, tokens) is the user's alone.

A file read back from a folder others may write (a shared cache) is trusted only if it is a
regular file (not a symlink), owned by the user, and writable by nobody else.

Only `os` and `stat` are imported: the executable's start reads the kept help through here."""

import os
import stat

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_TRIES = 100


def make_private_dirs(directory: str) -> None:
    """Create `directory` and its missing parents with mode 0700. Folders that already exist
    are taken as they are (the user's own layout: ~/.kube may be a link); one this call
    creates and then finds replaced by a symlink or a non-folder raises OSError."""
    directory = os.path.abspath(directory)
    missing = []
    while not os.path.isdir(directory):
        missing.append(directory)
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            pass
        info = os.lstat(folder)
        if not stat.S_ISDIR(info.st_mode):
            raise OSError("%s: not a folder (a symlink or a file took its place)" % folder)


def write_private(path: str, data: "bytes | str") -> None:
    """Write `data` to `path` atomically, mode 0600, never through a symlink (at the final
    path or at any temporary name). Raises OSError."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    path = os.path.abspath(path)
    directory, name = os.path.split(path)
    make_private_dirs(directory)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    for _ in range(_TRIES):
        temporary = os.path.join(directory, ".%s.%s.tmp" % (name, os.urandom(6).hex()))
        try:
            fd = os.open(temporary, flags, 0o600)
        except FileExistsError:
            continue
        break
    else:
        raise FileExistsError("%s: no free temporary name" % path)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def trusted(info: os.stat_result) -> bool:
    """A regular file (lstat: not a symlink) or folder owned by this user that nobody else
    may write."""
    getuid = getattr(os, "getuid", None)
    return (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)) and \
        (getuid is None or info.st_uid == getuid()) and not info.st_mode & 0o022


def read_trusted(path: str) -> "bytes | None":
    """The bytes of `path` when it is a trusted file (see trusted), else None."""
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or not trusted(info):
            return None
        chunks: "list[bytes]" = []
        while True:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
    except OSError:
        return None
    finally:
        os.close(fd)


# C0 controls but \t and \n, DEL and the C1 controls (0x9b is a one-byte CSI to some
# terminals): what could move the cursor, recolour or retitle a terminal
_CONTROLS = dict.fromkeys([c for c in range(0x20) if c not in (0x09, 0x0a)] +
                          list(range(0x7f, 0xa0)))


def printable(text: str) -> str:
    """`text` without terminal control characters (\\t and \\n kept)."""
    return text.translate(_CONTROLS)
