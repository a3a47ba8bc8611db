"""The key file: restricted to its owner, and a warning when its folder looks shared."""

from __future__ import annotations

import logging
import os
import stat
import subprocess

import pytest

from impactlib import config
from impactlib.intake import pseudonym
from impactlib.intake.pseudonym import (is_network_path, is_remote_drive, load_key,
                                        network_filesystem, restrict_to_owner, shared_location,
                                        synced_service)


@pytest.mark.parametrize("path, service", [
    (r"C:\Users\ana\OneDrive\impact\data\.pseudonym-key", "OneDrive"),
    (r"C:\Users\ana\OneDrive - Asbl Emploi\impact\data", "OneDrive"),
    (r"C:\Users\ana\onedrive - ASBL\x", "OneDrive"),
    ("/home/ana/Dropbox/impact/data/.pseudonym-key", "Dropbox"),
    ("/home/ana/Dropbox (Asbl)/impact", "Dropbox"),
    (r"G:\My Drive\impact", "Google Drive"),
    (r"G:\Mon Drive\impact", "Google Drive"),
    ("/Users/ana/Google Drive/impact", "Google Drive"),
    ("/Users/ana/Library/Mobile Documents/com~apple~CloudDocs/impact", "iCloud Drive"),
    (r"C:\Users\ana\iCloudDrive\impact", "iCloud Drive"),
    ("/home/ana/Nextcloud/impact", "Nextcloud"),
    ("/home/ana/Nextcloud2/impact", "Nextcloud"),
    ("/home/ana/ownCloud/impact", "ownCloud"),
    ("/home/ana/impact/data/.pseudonym-key", None),
    (r"C:\Users\ana\Documents\impact", None),
    ("/home/ana/dropboxes-old/impact", None),           # not the sync folder's name
    ("/home/ana/notes-onedrive.txt/x", None),
])
def test_synced_folders_are_recognized_by_their_name(path, service):
    assert synced_service(path, env={}) == service


def test_onedrive_is_recognized_from_its_environment_variable():
    env = {"OneDriveCommercial": r"C:\Users\ana\Entreprise SA"}      # a renamed OneDrive root
    assert synced_service(r"C:\Users\ana\Entreprise SA\impact\data", env=env) == "OneDrive"
    assert synced_service(r"c:\users\ana\entreprise sa", env=env) == "OneDrive"
    assert synced_service(r"C:\Users\ana\Entreprise SAS\impact", env=env) is None
    assert synced_service(r"C:\Users\ana\impact", env={"OneDrive": ""}) is None


@pytest.mark.parametrize("path, network", [
    (r"\\nas\equipe\impact\data\.pseudonym-key", True),
    ("//nas/equipe/impact", True),
    (r"\\?\UNC\nas\equipe\impact", True),
    (r"\\?\C:\impact", False),
    (r"\\.\PhysicalDrive0", False),
    (r"C:\impact", False),
    ("/srv/impact", False),
    ("\\\\", False),
])
def test_unc_paths(path, network):
    assert is_network_path(path) is network


MOUNTS = """\
sysfs /sys sysfs rw,nosuid 0 0
/dev/nvme0n1p2 / ext4 rw,relatime 0 0
/dev/nvme0n1p3 /home ext4 rw,relatime 0 0
nas:/export/equipe /home/ana/equipe nfs4 rw,vers=4.2 0 0
//nas/partage /mnt/partage\\040commun cifs rw,vers=3.0 0 0
ana@srv:/data /home/ana/srv sshfs rw 0 0
rclone:drive /home/ana/drive fuse.rclone rw 0 0
portal /run/user/1000/doc fuse.portal rw 0 0
/dev/sdb1 /home/ana/equipe/local ext4 rw 0 0
"""


@pytest.mark.parametrize("path, kind", [
    ("/home/ana/impact/data/.pseudonym-key", None),                 # /home: ext4
    ("/home/ana/equipe/impact/data/.pseudonym-key", "nfs4"),
    ("/home/ana/equipe", "nfs4"),
    ("/home/ana/equipement/impact", None),                          # not under /home/ana/equipe
    ("/mnt/partage commun/impact", "cifs"),                          # \040 is a space
    ("/home/ana/srv/x", "sshfs"),
    ("/home/ana/drive/impact", "fuse.rclone"),
    ("/run/user/1000/doc/x", None),                                  # a local FUSE
    ("/home/ana/equipe/local/impact", None),                         # a local disk mounted inside
    ("/tmp/x", None),
])
def test_network_file_systems_from_proc_mounts(path, kind):
    assert network_filesystem(path, MOUNTS) == kind


def test_network_file_system_edge_cases():
    assert network_filesystem("/x", "") is None
    assert network_filesystem("/x", "garbage\n\n") is None
    assert network_filesystem("/x", "srv:/ / nfs rw 0 0\n") == "nfs"          # root on NFS
    later = "srv:/h /home nfs rw 0 0\n/dev/sda /home ext4 rw 0 0\n"          # mounted over
    assert network_filesystem("/home/ana", later) is None


def test_drive_types():
    # GetDriveTypeW: 0 unknown, 1 no root, 2 removable, 3 fixed, 4 remote, 5 CD-ROM, 6 RAM disk
    assert [is_remote_drive(t) for t in range(7)] == [False] * 4 + [True] + [False] * 2


def test_shared_location_in_words(tmp_path, monkeypatch):
    assert shared_location(tmp_path / "OneDrive - X" / ".pseudonym-key", env={}) == \
        "a OneDrive folder"
    assert shared_location(tmp_path / "Dropbox" / "k", env={}) == "a Dropbox folder"
    monkeypatch.setattr(pseudonym, "_mounts", lambda: f"srv:/x {tmp_path} nfs4 rw 0 0\n")
    if os.name != "nt" and os.path.exists("/proc/mounts"):
        assert shared_location(tmp_path / "k", env={}) == "a network file system (nfs4)"
    monkeypatch.setattr(pseudonym, "_mounts", lambda: "")
    assert shared_location(tmp_path / "k", env={}) is None


def test_a_key_in_a_synced_folder_is_used_with_one_warning(tmp_path, monkeypatch, caplog):
    monkeypatch.delenv(config.ENV_KEY, raising=False)
    monkeypatch.setattr(pseudonym, "_WARNED", set())
    root = tmp_path / "Dropbox" / "impact"
    with caplog.at_level(logging.WARNING, logger="impactlib.intake.pseudonym"):
        key = load_key(root=root)
        assert load_key(root=root) == key                  # the same key, read back
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    keyfile = root / "data" / ".pseudonym-key"
    assert warnings == [f"the pseudonymization key {keyfile} is in a Dropbox folder: anyone who "
                        "has it can re-identify the candidates; keep the project folder off "
                        "shared or synced drives, or set IMPACTLIB_PROJECT to a local folder"]
    if os.name != "nt":
        assert stat.S_IMODE(keyfile.stat().st_mode) == 0o600

    caplog.clear()                                          # a local folder: no warning
    monkeypatch.setattr(pseudonym, "_mounts", lambda: "")
    load_key(root=tmp_path / "local")
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_on_windows_the_key_is_restricted_with_icacls(tmp_path, monkeypatch, caplog):
    calls = []

    def fake_run(command, **options):
        calls.append(command)
        return subprocess.CompletedProcess(command, 0, b"processed file: k", b"")

    monkeypatch.setenv("USERNAME", "ana")
    monkeypatch.setenv("USERDOMAIN", "ASBL")
    key = tmp_path / "k"
    assert restrict_to_owner(key, windows=True, run=fake_run) is True
    assert calls == [["icacls", str(key), "/inheritance:r", "/grant:r", "ASBL\\ana:F"]]
    assert restrict_to_owner(key, windows=False, run=fake_run) is False and len(calls) == 1

    def refused(command, **options):
        return subprocess.CompletedProcess(command, 1338, b"",
                                           "Acc\u00e8s refus\u00e9.\r\n".encode("cp850"))

    def missing(command, **options):
        raise FileNotFoundError(2, "No such file or directory", "icacls")

    with caplog.at_level(logging.WARNING, logger="impactlib.intake.pseudonym"):
        assert restrict_to_owner(key, windows=True, run=refused) is False
        assert restrict_to_owner(key, windows=True, run=missing) is False
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2
    assert lines[0].startswith(f"could not restrict the pseudonymization key {key} to your "
                               "account (icacls: Acc")
    assert lines[0].endswith("): check who can read it") and "\n" not in lines[0]
    assert "No such file or directory" in lines[1]


def test_a_new_key_file_is_restricted_where_it_is_created(tmp_path, monkeypatch):
    monkeypatch.delenv(config.ENV_KEY, raising=False)
    seen = []
    monkeypatch.setattr(pseudonym, "restrict_to_owner", lambda path: seen.append(path))
    load_key(root=tmp_path)
    load_key(root=tmp_path)                                  # read, not created: not again
    assert seen == [tmp_path / "data" / ".pseudonym-key"]
