"""Before Qt starts: can its platform plugin load, and is there a display to show a window on?

Without these checks a missing system library or an unset ``$DISPLAY`` ends in Qt's own abort
("could not load the Qt platform plugin xcb", core dumped) instead of a line saying what to do.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Mapping

from voc_tools.errors import GestureKitError

INSTALL_SCRIPT = "scripts/install_gui_deps.sh"
XCB_PLUGIN = "libqxcb.so"

# Debian names a library's package after its soname: libfoo.so.N -> libfooN, and
# libfoo2.so.N -> libfoo2-N when the name ends in a digit. These break that rule.
DEBIAN_PACKAGE_EXCEPTIONS = {
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libGLdispatch.so.0": "libglvnd0",
    "libbrotlidec.so.1": "libbrotli1",
    "libbrotlicommon.so.1": "libbrotli1",
    "libz.so.1": "zlib1g",
    "libgcc_s.so.1": "libgcc-s1",
}

_LDD_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found", re.MULTILINE)


def missing_libraries(ldd_output: str) -> list[str]:
    """Sonames that ``ldd`` reports as ``not found``, in order, without repeats."""
    return list(dict.fromkeys(_LDD_NOT_FOUND.findall(ldd_output)))


def debian_package(soname: str) -> str:
    """Debian/Ubuntu package that ships ``soname``: ``libxcb-icccm.so.4`` -> ``libxcb-icccm4``."""
    if soname in DEBIAN_PACKAGE_EXCEPTIONS:
        return DEBIAN_PACKAGE_EXCEPTIONS[soname]
    name, _, version = soname.partition(".so.")
    name, major = name.lower(), version.split(".")[0]
    if not major:
        return name
    return f"{name}-{major}" if name[-1].isdigit() else f"{name}{major}"


def missing_libraries_error(missing: list[str], plugin: str | Path) -> GestureKitError:
    """The error naming the missing libraries and the packages that provide them."""
    packages = " ".join(dict.fromkeys(debian_package(lib) for lib in missing))
    return GestureKitError(
        f"Qt's xcb platform plugin cannot load: missing {', '.join(missing)}; "
        f"install them with 'sudo apt-get install {packages}' (Debian/Ubuntu) "
        f"or run {INSTALL_SCRIPT}", plugin)


def qt_platform(environ: Mapping[str, str]) -> str:
    """The platform plugin Qt will try first (``QT_QPA_PLATFORM``, default ``xcb`` on Linux)."""
    requested = environ.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip()
    return requested or "xcb"


def xcb_plugin_path(environ: Mapping[str, str]) -> Path:
    """Where the PyQt5 in use keeps ``libqxcb.so``."""
    if environ.get("QT_QPA_PLATFORM_PLUGIN_PATH"):
        return Path(environ["QT_QPA_PLATFORM_PLUGIN_PATH"]) / XCB_PLUGIN
    from PyQt5.QtCore import QLibraryInfo

    return Path(QLibraryInfo.location(QLibraryInfo.PluginsPath)) / "platforms" / XCB_PLUGIN


def check_xcb_libraries(plugin: Path) -> None:
    """Raise when ``ldd`` finds system libraries of ``plugin`` missing (no ldd: no check)."""
    ldd = shutil.which("ldd")
    if ldd is None or not plugin.is_file():
        return
    result = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, check=False)
    missing = missing_libraries(result.stdout + result.stderr)
    if missing:
        raise missing_libraries_error(missing, plugin)


def check_display(environ: Mapping[str, str]) -> None:
    """Raise when Qt would use xcb but ``$DISPLAY`` is unset."""
    if qt_platform(environ) == "xcb" and not environ.get("DISPLAY"):
        raise GestureKitError(
            "no display ($DISPLAY is not set): run it in a desktop session or over 'ssh -X'")


def check_gui(environ: Mapping[str, str] | None = None) -> None:
    """All checks for starting a Qt window on this machine (Linux only; xcb only)."""
    environ = os.environ if environ is None else environ
    if not sys.platform.startswith("linux") or qt_platform(environ) != "xcb":
        return
    check_xcb_libraries(xcb_plugin_path(environ))
    check_display(environ)
