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
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import time
from pathlib import Path

import pandas as pd

from impactlib import config
from impactlib.errors import StudyError

__all__ = ["load_key", "pseudonymize"]

log = logging.getLogger(__name__)


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
            log.info("created a new pseudonymization key in %s (keep it, never share it)", path)
            return key
    for _ in range(50):  # another process may still be writing a key it just created
        key = path.read_bytes().strip()
        if key:
            return key
        time.sleep(0.02)
    raise StudyError("the pseudonymization key file is empty", path)


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
