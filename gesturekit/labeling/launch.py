"""Open labelImg on a VOC root: images from JPEGImages, Pascal VOC XML saved to Annotations,
class names offered from classes.txt.

labelImg writes an XML file only when the user saves (Ctrl+S, Verify Image, its "save changes?"
prompt, or auto-save after an edit); this module itself writes nothing into the root.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import MutableMapping

from voc_tools.errors import GestureKitError
from voc_tools.layout import VocLayout
from voc_tools.naming import is_image


def require_voc_root(root: str | Path) -> VocLayout:
    """The layout of ``root``; one-line errors for what labelImg would need but not find."""
    root = Path(root)
    if not root.is_dir():
        raise GestureKitError("no such folder", root)
    layout = VocLayout(root).require()
    if not layout.classes_file.is_file():
        raise GestureKitError("no classes.txt (one class name per line); create it with "
                              "'gesturekit voc init ROOT --classes NAME ...'", root)
    if not any(is_image(path) for path in layout.images.iterdir()):
        raise GestureKitError("no images in JPEGImages; add some with 'gesturekit voc add'", root)
    return layout


def labelimg_argv(layout: VocLayout) -> list[str]:
    """labelImg's command line: ``labelImg IMAGE_DIR PREDEFINED_CLASS_FILE SAVE_DIR``."""
    return ["labelImg", str(layout.images.resolve()), str(layout.classes_file.resolve()),
            str(layout.annotations.resolve())]


def drop_opencv_qt_paths(environ: MutableMapping[str, str]) -> list[str]:
    """Remove the Qt variables that ``import cv2`` (opencv-python) sets to its own Qt build;
    PyQt5's Qt cannot load those plugins ("Could not load the Qt platform plugin xcb in
    .../cv2/qt/plugins"). Returns the names removed."""
    marker = f"{os.sep}cv2{os.sep}"
    dropped = [name for name in ("QT_QPA_PLATFORM_PLUGIN_PATH", "QT_QPA_FONTDIR")
               if marker in environ.get(name, "")]
    for name in dropped:
        del environ[name]
    return dropped


def _session_settings(layout: VocLayout) -> type:
    """labelImg's Settings, loaded from ``~/.labelImgSettings.pkl`` as usual but with this
    session's choices on top: Pascal VOC format (a saved YOLO/CreateML choice would write
    .txt/.json) and JPEGImages as the last folder (labelImg would otherwise first load the
    saved last folder, then ours)."""
    from libs.constants import SETTING_LABEL_FILE_FORMAT, SETTING_LAST_OPEN_DIR
    from libs.labelFile import LabelFileFormat
    from libs.settings import Settings

    class VocSessionSettings(Settings):
        def load(self) -> bool:
            loaded = super().load()
            self.data[SETTING_LABEL_FILE_FORMAT] = LabelFileFormat.PASCAL_VOC
            self.data[SETTING_LAST_OPEN_DIR] = str(layout.images.resolve())
            return loaded

    return VocSessionSettings


def check_can_start(root: str | Path) -> VocLayout:
    """All that can fail before Qt starts: the VOC root, the xcb plugin's system libraries,
    the display (and cv2's Qt paths are dropped from the environment)."""
    from .qt_checks import check_gui

    layout = require_voc_root(root)
    drop_opencv_qt_paths(os.environ)
    check_gui()
    return layout


def run_labelimg(root: str | Path) -> int:
    """Start labelImg (fixed for Python 3.10+) on the first image of ``root`` after
    :func:`check_can_start`; return its exit code when the window closes."""
    layout = check_can_start(root)
    try:
        import labelImg.labelImg as labelimg_app

        from . import labelimg_fixes
    except ImportError as err:
        raise GestureKitError(f"cannot import labelImg ({err}); install it with "
                              "'pip install labelImg==1.8.6'") from err
    labelimg_fixes.install()
    labelimg_app.Settings = _session_settings(layout)
    app, _window = labelimg_app.get_main_app(labelimg_argv(layout))
    return app.exec_()
