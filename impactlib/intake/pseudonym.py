"""Pseudonyms: candidate ids replaced by a keyed hash as soon as data is read.

The pseudonym of an id is ``"C" + HMAC-SHA256(key, normalized id)`` cut to 16
hexadecimal digits. Without the key nobody can go back from a pseudonym to the
id, nor test a guessed id. The key is, in this order:

1. the environment variable ``IMPACTLIB_KEY`` (any text);
2. the file named by ``IMPACTLIB_KEY_FILE``;
3. the study's derived key file (see :mod:`impactlib.config`):
   ``<project>/data/.pseudonym-key`` for a study under ``<project>/data/raw/``,
   ``<study folder>/.pseudonym-key`` for a standalone study. It is created with
   32 random bytes on first use, readable by its owner only where the system
   supports it, and git-ignored. The key is found from the study's location,
   never from the current folder: the same study gets the same key from any
   folder, and the key is never written into a report.

Keep the key safe and keep it the same between runs: the same ids then get the
same pseudonyms, so successive reports can be linked.

Protecting the key file
-----------------------
A new key file is created readable and writable by its owner only: mode
``0o600`` on Linux and macOS; on Windows, where that mode does nothing, its
access list is reduced to the current user with the system's ``icacls``
(inheritance removed, full control granted to the user alone). If ``icacls``
fails, the key is still used and one warning says so.

Anyone who has the key can re-identify the candidates (from the ids in
the exports). So whenever a key file is used from a folder that looks shared
or synced, one warning line says so (once per run): a OneDrive, Dropbox,
Google Drive, iCloud Drive, Nextcloud or ownCloud folder (found by the folder
names on the path, and on Windows by OneDrive's own environment variables), a
network path (``\\\\server\\share``), on Windows a network drive
(``GetDriveTypeW``), on Linux a network file system (NFS, SMB/CIFS, SSHFS or
another FUSE file system, from ``/proc/mounts``). The detection is a
best-effort guess: a folder that syncs under another name is not
recognized. Keep the project folder off shared drives, or set
``IMPACTLIB_PROJECT`` to a local folder (or ``IMPACTLIB_KEY_FILE`` to a key
kept elsewhere).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path, PureWindowsPath

import pandas as pd

from impactlib import config
from impactlib.errors import StudyError

__all__ = ["load_key", "pseudonymize", "synced_service", "is_network_path",
           "network_filesystem", "is_remote_drive", "shared_location", "restrict_to_owner"]

log = logging.getLogger(__name__)

#: Folder names of sync clients (compared ignoring case; ``OneDrive - Company``
#: and ``Nextcloud2`` match by their start), and the service each one means.
SYNCED_FOLDERS = (
    ("onedrive", "OneDrive"), ("dropbox", "Dropbox"), ("google drive", "Google Drive"),
    ("googledrive", "Google Drive"), ("my drive", "Google Drive"), ("mon drive", "Google Drive"),
    ("icloud drive", "iCloud Drive"), ("iclouddrive", "iCloud Drive"),
    ("mobile documents", "iCloud Drive"), ("com~apple~clouddocs", "iCloud Drive"),
    ("nextcloud", "Nextcloud"), ("owncloud", "ownCloud"),
)
#: Environment variables holding a OneDrive root on Windows.
ONEDRIVE_VARIABLES = ("OneDrive", "OneDriveCommercial", "OneDriveConsumer")
#: File system types of /proc/mounts that live on another machine.
NETWORK_FILESYSTEMS = ("nfs", "nfs4", "cifs", "smb3", "smbfs", "sshfs", "9p", "afs", "ceph",
                       "glusterfs", "davfs", "lustre")
#: FUSE file systems that are local (``fuse.*`` is otherwise taken as remote).
LOCAL_FUSE = ("fuse.portal", "fuse.lxcfs", "fuse.snapfuse", "fuse.squashfuse",
              "fuse.appimagefuse", "fuse.gocryptfs", "fuse.encfs", "fuse.ntfs-3g")
DRIVE_REMOTE = 4        # GetDriveTypeW: a network drive
_WARNED: set[str] = set()


def load_key(study=None, *, root: str | Path | None = None) -> bytes:
    """Return the pseudonymization key, creating the study's key file if needed.

    Parameters
    ----------
    study : Study, str or Path, optional
        The study (a :class:`~impactlib.intake.study.Study`, its ``study.yml``
        or its folder): its key file is derived from its location
        (:func:`impactlib.config.key_file`).
    root : str or Path, optional
        A project root instead of a study: the key file is
        ``<root>/data/.pseudonym-key``.

    Returns
    -------
    bytes

    Raises
    ------
    StudyError
        Neither ``IMPACTLIB_KEY``, ``IMPACTLIB_KEY_FILE``, a study nor a root is
        given; the key file is empty or cannot be read or created.
    """
    env = os.environ.get(config.ENV_KEY)
    if env:
        return env.encode("utf-8")
    named = os.environ.get(config.ENV_KEY_FILE)
    if named:
        path = Path(named)
    elif root is not None:
        path = Path(os.path.abspath(root)) / config.DATA_DIR / config.KEY_FILE_NAME
    elif study is not None:
        path = config.key_file(study)
    else:
        raise StudyError(f"no pseudonymization key: set {config.ENV_KEY} or "
                         f"{config.ENV_KEY_FILE}, or give the study")
    try:
        return _read_or_create(path)
    except OSError as err:
        raise StudyError(f"cannot read or create the pseudonymization key "
                         f"({err.strerror or err}); set {config.ENV_KEY_FILE} to a "
                         "key file you can write", path) from None


def _read_or_create(path: Path) -> bytes:
    """The key in ``path``; a new random key written there if it does not exist."""
    _warn_if_shared(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32).encode("ascii")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # created meanwhile by another process: read it below
            pass
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(key + b"\n")
            restrict_to_owner(path)
            log.info("created a new pseudonymization key in %s (keep it, never share it)", path)
            return key
    for _ in range(50):  # another process may still be writing a key it just created
        key = path.read_bytes().strip()
        if key:
            return key
        time.sleep(0.02)
    raise StudyError("the pseudonymization key file is empty", path)


def _parts(path: str) -> list[str]:
    """The folder names of ``path``, split on ``/`` and ``\\`` alike."""
    return [p for p in re.split(r"[\\/]+", path) if p]


def synced_service(path: str, env: Mapping[str, str] | None = None) -> str | None:
    """The sync service whose folder holds ``path`` (``"OneDrive"``...), else ``None``.

    Parameters
    ----------
    path : str
        An absolute path, Windows or POSIX spelling.
    env : mapping, optional
        The environment (default ``os.environ``): on Windows, OneDrive names
        its root in ``OneDrive``, ``OneDriveCommercial`` and ``OneDriveConsumer``.

    Examples
    --------
    >>> synced_service(r"C:\\Users\\ana\\OneDrive - Asbl\\impact\\data\\.pseudonym-key", env={})
    'OneDrive'
    >>> synced_service("/Users/ana/Library/Mobile Documents/com~apple~CloudDocs/impact", env={})
    'iCloud Drive'
    >>> synced_service("/home/ana/impact/data/.pseudonym-key", env={}) is None
    True
    """
    env = os.environ if env is None else env
    parts = [p.casefold() for p in _parts(path)]
    for part in parts:
        for name, service in SYNCED_FOLDERS:
            if part == name or (part.startswith(name) and not part[len(name)].isalpha()):
                return service
    folded = "/".join(parts)
    for variable in ONEDRIVE_VARIABLES:
        root = "/".join(p.casefold() for p in _parts(env.get(variable) or ""))
        if root and (folded == root or folded.startswith(root + "/")):
            return "OneDrive"
    return None


def is_network_path(path: str) -> bool:
    """Whether ``path`` is a UNC path, ``\\\\server\\share\\...`` (or ``//server/share``).

    >>> is_network_path(r"\\\\nas\\equipe\\impact"), is_network_path(r"\\\\?\\UNC\\nas\\x")
    (True, True)
    >>> is_network_path(r"\\\\?\\C:\\impact"), is_network_path(r"C:\\impact"), is_network_path("/srv/x")
    (False, False, False)
    """
    text = path.replace("/", "\\")
    if text.upper().startswith("\\\\?\\UNC\\"):
        return True
    if text.startswith(("\\\\?\\", "\\\\.\\")):   # a long local path, or a device
        return False
    return text.startswith("\\\\") and len(_parts(text)) >= 2


def network_filesystem(path: str, mounts: str) -> str | None:
    """The type of the network file system holding ``path``, from ``/proc/mounts``.

    Parameters
    ----------
    path : str
        An absolute, resolved POSIX path.
    mounts : str
        The text of ``/proc/mounts`` (``device mount-point type options 0 0``
        per line; spaces in a mount point written ``\\040``).

    Returns
    -------
    str or None
        The type (``nfs4``, ``cifs``, ``fuse.sshfs``...) of the mount holding
        ``path`` (the longest mount point above it) when it is a network or
        FUSE file system (:data:`NETWORK_FILESYSTEMS`, ``fuse.*`` but
        :data:`LOCAL_FUSE`), else ``None``.

    Examples
    --------
    >>> mounts = "/dev/sda1 / ext4 rw 0 0\\nnas:/home /home nfs4 rw 0 0\\n"
    >>> network_filesystem("/home/ana/impact", mounts), network_filesystem("/srv/x", mounts)
    ('nfs4', None)
    """
    best, kind = -1, None
    target = path.rstrip("/") or "/"
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), fields[1])
        point = point.rstrip("/") or "/"
        inside = point == "/" or target == point or target.startswith(point + "/")
        if inside and len(point) >= best:       # a later mount over the same point wins
            best, kind = len(point), fields[2]
    if kind is None:
        return None
    if kind in NETWORK_FILESYSTEMS or (kind.startswith("fuse.") and kind not in LOCAL_FUSE):
        return kind
    return None


def is_remote_drive(drive_type: int) -> bool:
    """Whether a ``GetDriveTypeW`` result is a network drive (``DRIVE_REMOTE``, 4)."""
    return drive_type == DRIVE_REMOTE


def _drive_type(path: str) -> int | None:
    """``GetDriveTypeW`` of the drive of ``path`` (Windows), else ``None``."""
    if os.name != "nt":
        return None
    drive = PureWindowsPath(path).drive
    if not drive:
        return None
    try:
        import ctypes

        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        kernel32.GetDriveTypeW.argtypes = [ctypes.c_wchar_p]
        kernel32.GetDriveTypeW.restype = ctypes.c_uint
        return int(kernel32.GetDriveTypeW(drive.rstrip("\\") + "\\"))
    except (OSError, AttributeError, ValueError):
        return None


def _mounts() -> str:
    try:
        with open("/proc/mounts", encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except OSError:
        return ""


def shared_location(path: str | Path, env: Mapping[str, str] | None = None) -> str | None:
    """Why the folder of ``path`` looks shared or synced, in words; ``None`` if it does not.

    Checks, in this order: a sync client's folder (:func:`synced_service`), a
    UNC path (:func:`is_network_path`), a Windows network drive
    (:func:`is_remote_drive`), a Linux network file system
    (:func:`network_filesystem`). A best-effort guess, never an error.
    """
    text = os.path.abspath(path)
    try:
        real = os.path.realpath(text)
    except (OSError, ValueError):
        real = text
    for candidate in dict.fromkeys((text, real)):
        service = synced_service(candidate, env)
        if service:
            return f"a {service} folder"
        if is_network_path(candidate):
            return "a network folder"
    if os.name == "nt":
        kind = _drive_type(real)
        if kind is not None and is_remote_drive(kind):
            return "a network drive"
    elif os.path.exists("/proc/mounts"):
        kind = network_filesystem(real, _mounts())
        if kind:
            return f"a network file system ({kind})"
    return None


def _warn_if_shared(path: Path) -> None:
    """One warning line (once per run and key file) when the key's folder looks shared."""
    where = shared_location(path)
    if where is None or str(path) in _WARNED:
        return
    _WARNED.add(str(path))
    log.warning("the pseudonymization key %s is in %s: anyone who has it can re-identify the "
                "candidates; keep the project folder off shared or synced drives, or set %s "
                "to a local folder", path, where, config.ENV_PROJECT)


def restrict_to_owner(path: str | Path, *, windows: bool | None = None, run=subprocess.run) -> bool:
    """Make ``path`` readable by the current user only, on Windows (``icacls``).

    On Linux and macOS the key file is already created with mode ``0o600``
    and nothing is done. On Windows the file's access list is reduced to the
    current user: ``icacls FILE /inheritance:r /grant:r USER:F``. A failure
    (no ``icacls``, an unknown user, a file system without access lists) is
    one warning, not an error.

    Parameters
    ----------
    path : str or Path
        The key file.
    windows : bool, optional
        Whether to act (default: running on Windows).
    run : callable
        :func:`subprocess.run`, or a replacement in tests.

    Returns
    -------
    bool
        Whether the access list was set.
    """
    if not (os.name == "nt" if windows is None else windows):
        return False
    user = os.environ.get("USERNAME")
    if not user:
        import getpass

        try:
            user = getpass.getuser()
        except Exception:   # no user name known
            user = ""
    domain = os.environ.get("USERDOMAIN")
    account = f"{domain}\\{user}" if domain and user else user
    detail = "the user name is unknown"
    if user:
        command = ["icacls", str(path), "/inheritance:r", "/grant:r", f"{account}:F"]
        try:
            done = run(command, capture_output=True, timeout=60)
        except (OSError, subprocess.SubprocessError) as err:
            detail = str(err)
        else:
            if done.returncode == 0:
                return True
            said = done.stderr or done.stdout or b""      # in the console's code page
            said = said.decode(errors="replace") if isinstance(said, bytes) else str(said)
            lines = said.strip().splitlines()
            detail = lines[0] if lines else f"exit status {done.returncode}"
    log.warning("could not restrict the pseudonymization key %s to your account (icacls: %s): "
                "check who can read it", path, detail)
    return False


def pseudonymize(ids: pd.Series, key: bytes) -> pd.Series:
    """Map normalized ids to pseudonyms (computed once per distinct id).

    Examples
    --------
    >>> s = pseudonymize(pd.Series(["a12", "a12"]), b"k")
    >>> s.iloc[0] == s.iloc[1] and s.iloc[0].startswith("C")
    True
    """
    codes, uniques = pd.factorize(ids, sort=False)
    names = [("C" + hmac.new(key, str(u).encode("utf-8"), hashlib.sha256).hexdigest()[:16])
             for u in uniques]
    if len(set(names)) != len(names):  # 64 bits: practically never; never silent
        raise RuntimeError("pseudonym collision: use a longer pseudonym")
    return pd.Series(pd.Index(names, dtype=object).take(codes), index=ids.index, dtype=object)
