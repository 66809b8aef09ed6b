"""``gesturekit label``: labelImg on a VOC root, fixed for Python 3.10+.

The GUI tests run labelImg on a real X server (Xvfb) and drive it with xdotool like a user:
draw a box, pick its class, save, zoom, scroll, quit. The test image is magenta on top and cyan
below, so a screenshot shows where the image sits on screen (for the drag) and how zoom and
scroll moved it. HOME points at a temporary folder: labelImg's ~/.labelImgSettings.pkl of the
user is never read or written.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageGrab

from gesturekit.labeling.launch import drop_opencv_qt_paths, labelimg_argv, require_voc_root
from gesturekit.labeling.qt_checks import (check_display, check_xcb_libraries, debian_package,
                                missing_libraries, missing_libraries_error, xcb_plugin_path)
from sample_voc import build_sample_voc
from voc_tools.annotation import read_annotation
from voc_tools.check import check_dataset
from voc_tools.errors import GestureKitError
from voc_tools.layout import VocLayout

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(os.environ.get("GESTUREKIT_TEST_ARTIFACTS", REPO / "tests" / "artifacts"))
IMAGE_ID, IMAGE_SIZE = "blank_000000", (320, 240)  # sorts before the sample's take01_*
WINDOW_SIZE = (1280, 640)  # wider than the image: fitted by height, scrolls after zoom-in

LDD_MISSING = """\
\tlinux-vdso.so.1 (0x00007ffd)
\tlibQt5XcbQpa.so.5 => /venv/PyQt5/Qt5/lib/libQt5XcbQpa.so.5 (0x00007f98)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-xinerama.so.0 => not found
\tlibxkbcommon-x11.so.0 => not found
\tlibxcb-icccm.so.4 => not found
\tlibglib-2.0.so.0 => /lib/x86_64-linux-gnu/libglib-2.0.so.0 (0x00007f98)
"""


# --- fast: messages and argument checks ------------------------------------------------------

def test_missing_xcb_libraries_name_their_debian_packages() -> None:
    missing = missing_libraries(LDD_MISSING)
    assert missing == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxcb-xinerama.so.0",
                       "libxkbcommon-x11.so.0"]
    message = str(missing_libraries_error(missing, "/venv/libqxcb.so"))
    assert "\n" not in message and message.startswith("/venv/libqxcb.so: ")
    assert ("sudo apt-get install libxcb-icccm4 libxcb-keysyms1 libxcb-xinerama0 "
            "libxkbcommon-x11-0") in message
    assert "scripts/install_gui_deps.sh" in message
    assert missing_libraries(LDD_MISSING.replace("not found", "/lib/x.so (0x1)")) == []


def test_debian_package_names_follow_debian_rules_and_exceptions() -> None:
    assert debian_package("libxcb-render-util.so.0") == "libxcb-render-util0"
    assert debian_package("libX11-xcb.so.1") == "libx11-xcb1"
    assert debian_package("libdbus-1.so.3") == "libdbus-1-3"
    assert debian_package("libGL.so.1") == "libgl1"
    assert debian_package("libglib-2.0.so.0") == "libglib2.0-0"


def test_no_display_is_one_clear_line() -> None:
    with pytest.raises(GestureKitError, match=r"no display \(\$DISPLAY is not set\)"):
        check_display({})
    check_display({"DISPLAY": ":0"})
    check_display({"QT_QPA_PLATFORM": "offscreen"})  # no X server needed


def test_opencv_qt_plugin_path_is_dropped() -> None:
    """``import cv2`` (the frame tools, and this test process) points Qt at cv2's plugins."""
    environ = {"QT_QPA_PLATFORM_PLUGIN_PATH": "/venv/site-packages/cv2/qt/plugins",
               "QT_QPA_FONTDIR": "/venv/site-packages/cv2/qt/fonts", "DISPLAY": ":0"}
    assert drop_opencv_qt_paths(environ) == ["QT_QPA_PLATFORM_PLUGIN_PATH", "QT_QPA_FONTDIR"]
    assert environ == {"DISPLAY": ":0"}
    own = {"QT_QPA_PLATFORM_PLUGIN_PATH": "/opt/qt5/plugins/platforms"}
    assert drop_opencv_qt_paths(own) == [] and len(own) == 1


def test_root_errors_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(GestureKitError, match="no such folder"):
        require_voc_root(tmp_path / "absent")
    with pytest.raises(GestureKitError, match="not a VOC root"):
        require_voc_root(tmp_path)
    layout = VocLayout(tmp_path)
    layout.images.mkdir()
    layout.annotations.mkdir()
    with pytest.raises(GestureKitError, match="no classes.txt"):
        require_voc_root(tmp_path)
    layout.classes_file.write_text("grab\n", encoding="utf-8")
    with pytest.raises(GestureKitError, match="no images in JPEGImages"):
        require_voc_root(tmp_path)
    Image.new("RGB", (8, 8)).save(layout.images / "a.jpg")
    assert labelimg_argv(require_voc_root(tmp_path))[1:] == [
        str(layout.images.resolve()), str(layout.classes_file.resolve()),
        str(layout.annotations.resolve())]


def test_cli_reports_a_bad_root_as_one_line(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "gesturekit", "label", str(tmp_path)],
                            capture_output=True, text=True, cwd=REPO, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"gesturekit label: error: {tmp_path}: not a VOC root (missing folder JPEGImages); "
        "run 'gesturekit voc init'"]


# --- the fixes, without a display (Qt offscreen) ----------------------------------------------

PROBE = r"""
import json, sys, traceback
from PyQt5.QtCore import QPointF, Qt
from PyQt5.QtWidgets import QApplication
import labelImg.labelImg as labelimg_app
from libs.shape import Shape
if sys.argv[1] == "fixed":
    from gesturekit.labeling import labelimg_fixes
    labelimg_fixes.install()
errors = []

def excepthook(kind, err, tb):  # PyQt calls it for errors in Qt virtuals instead of aborting
    errors.append(f"{kind.__name__} at {traceback.extract_tb(tb)[-1].line}")
    if win.canvas._painter.isActive():  # a failed paintEvent never reached p.end()
        win.canvas._painter.end()

sys.excepthook = excepthook
app = QApplication([])
win = labelimg_app.MainWindow(None, sys.argv[3], None)
win.show()
win.load_file(sys.argv[2])
app.processEvents()
canvas, results = win.canvas, {}

def attempt(name, action):
    del errors[:]
    try:
        action()
    except TypeError as err:
        excepthook(TypeError, err, err.__traceback__)
    results[name] = errors[0] if errors else "ok"

def paint_box_being_drawn():  # drawRect(float...)
    canvas.set_editing(False)
    canvas.current = Shape()
    canvas.current.add_point(QPointF(10.5, 10.5))
    canvas.line.points = [QPointF(10.5, 10.5), QPointF(60.5, 40.5)]
    canvas.repaint()
    canvas.current = None

def paint_crosshair():  # drawLine(float...)
    canvas.set_editing(False)
    canvas.prev_point = QPointF(20.5, 30.5)
    canvas.repaint()
    canvas.set_editing(True)

def paint_label():  # drawText(float, float, str)
    shape = Shape("grab")
    shape.paint_label = True
    for point in (QPointF(5.5, 30.5), QPointF(50.5, 30.5), QPointF(50.5, 60.5), QPointF(5.5, 60.5)):
        shape.add_point(point)
    shape.close()
    canvas.shapes = [shape]
    canvas.repaint()

pan = []
canvas.scrollRequest.connect(lambda delta, orientation: pan.append(delta))
attempt("paint box being drawn", paint_box_being_drawn)
attempt("paint cross-hair", paint_crosshair)
attempt("paint label", paint_label)
attempt("wheel scroll", lambda: win.scroll_request(-120, Qt.Vertical))
zoom = win.zoom_widget.value()
attempt("ctrl+wheel zoom", lambda: win.zoom_request(120))
results["zoom step"] = win.zoom_widget.value() - zoom
canvas.scrollRequest.emit(-12.5, Qt.Horizontal)  # what a pan drag emits
results["pan delta"] = pan[-1]
print(json.dumps(results))
"""


def run_probe(mode: str, image: Path, classes: Path, home: Path) -> dict:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(home),
           "XDG_RUNTIME_DIR": str(home)}
    result = subprocess.run([sys.executable, "-c", PROBE, mode, str(image), str(classes)],
                            capture_output=True, text=True, env=env, cwd=REPO, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_fixes_turn_labelimg_float_crashes_into_working_calls(tmp_path: Path) -> None:
    """Upstream labelImg raises TypeError (abort in the GUI) on each action; fixed, all work."""
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    image = make_two_tone_image(tmp_path / "two_tone.jpg")
    classes = tmp_path / "classes.txt"
    classes.write_text("grab\ndrop\n", encoding="utf-8")
    upstream = run_probe("upstream", image, classes, home)
    fixed = run_probe("fixed", image, classes, home)
    failing_call = {"paint box being drawn": "p.drawRect(", "paint cross-hair": "p.drawLine(",
                    "paint label": "painter.drawText(", "wheel scroll": "bar.setValue(",
                    "ctrl+wheel zoom": "self.zoom_widget.setValue("}
    for action, call in failing_call.items():
        assert upstream[action].startswith(f"TypeError at {call}"), (action, upstream[action])
        assert fixed[action] == "ok", (action, fixed[action])
    assert upstream["pan delta"] != -12.5  # float into the int signal arrives as garbage
    assert fixed["pan delta"] == -12.5
    assert fixed["zoom step"] == 10  # one wheel notch = +10 %


# --- the real GUI: Xvfb + xdotool -------------------------------------------------------------

def make_two_tone_image(path: Path) -> Path:
    """Magenta top half, cyan bottom half (the boundary is on a JPEG block edge)."""
    width, height = IMAGE_SIZE
    pixels = np.zeros((height, width, 3), np.uint8)
    pixels[: height // 2] = (255, 0, 255)
    pixels[height // 2:] = (0, 255, 255)
    Image.fromarray(pixels).save(path, quality=95)
    return path


def image_on_screen(shot: Image.Image) -> dict:
    """Screen bounding box of the two-tone image and the row where magenta meets cyan."""
    rgb = np.asarray(shot.convert("RGB")).astype(int)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    magenta = (r > 180) & (g < 90) & (b > 180)
    cyan = (r < 90) & (g > 180) & (b > 180)
    either = magenta | cyan
    assert magenta.any() and cyan.any(), "the test image is not on screen"
    rows, cols = np.nonzero(either)
    return {"left": cols.min(), "top": rows.min(), "right": cols.max() + 1,
            "bottom": rows.max() + 1, "boundary": np.nonzero(magenta)[0].max() + 1}


def assert_zoomed(before: dict, after: dict, factor: float) -> None:
    """The whole image is on screen in ``after``, ``factor`` times as wide as in ``before``."""
    ratio = (after["right"] - after["left"]) / (before["right"] - before["left"])
    assert abs(ratio - factor) < 0.03, (ratio, factor)


@pytest.fixture(scope="module")
def xserver():
    """A private Xvfb display (``:N``, a free number chosen by Xvfb itself). ``-noreset``:
    by default Xvfb resets when its last client disconnects, and a labelImg connecting
    during that reset can fail ("could not connect to display :0": once, in a full
    run on a loaded machine)."""
    if shutil.which("Xvfb") is None or shutil.which("xdotool") is None:
        pytest.skip("needs Xvfb and xdotool (scripts/install_gui_deps.sh installs them)")
    try:
        check_xcb_libraries(xcb_plugin_path(os.environ))
    except GestureKitError as err:
        pytest.skip(str(err))
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-screen", "0",
                               "1280x1024x24", "-nolisten", "tcp", "-noreset"], pass_fds=(write_fd,),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        number = pipe.readline().strip()
    if not number:
        server.kill()
        pytest.skip("Xvfb did not start")
    yield f":{number}"
    server.terminate()
    server.wait(timeout=10)


class Desktop:
    """xdotool and screenshots on one X display."""

    def __init__(self, display: str) -> None:
        self.display = display
        self.env = {**os.environ, "DISPLAY": display}

    def xdotool(self, *args: str | int) -> str:
        result = subprocess.run(["xdotool", *map(str, args)], env=self.env, capture_output=True,
                                text=True, timeout=15)
        return result.stdout.strip()

    def wait_window(self, title_regex: str, process: subprocess.Popen, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert process.poll() is None, "labelImg exited before showing its window"
            found = self.xdotool("search", "--onlyvisible", "--name", title_regex).split()
            if found:
                return found[0]
            time.sleep(0.2)
        raise AssertionError(f"no window titled {title_regex!r} after {timeout} s")

    def wait_focus_change(self, old: str, process: subprocess.Popen, timeout: float = 10) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert process.poll() is None, "labelImg exited (crashed?)"
            focus = self.xdotool("getwindowfocus", "-f")
            if focus and focus != old:
                return focus
            time.sleep(0.1)
        raise AssertionError("no new window took the keyboard focus")

    def grab(self) -> Image.Image:
        return ImageGrab.grab(xdisplay=self.display)

    def settled_grab(self, timeout: float = 3) -> Image.Image:
        """A screenshot once two in a row agree (Qt finished repainting)."""
        previous = self.grab()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            time.sleep(0.15)
            shot = self.grab()
            if np.array_equal(np.asarray(shot), np.asarray(previous)):
                return shot
            previous = shot
        return previous


def gui_voc_root(tmp_path: Path) -> Path:
    """The synthetic VOC root plus one unannotated two-tone image that labelImg opens first."""
    root = build_sample_voc(tmp_path / "data", videos=3, frames=2)
    make_two_tone_image(VocLayout(root).images / f"{IMAGE_ID}.jpg")
    return root


SEED_SETTINGS = """
import pickle, sys
from libs.constants import SETTING_LABEL_FILE_FORMAT, SETTING_LAST_OPEN_DIR
from libs.labelFile import LabelFileFormat
with open(sys.argv[1], "wb") as out:
    pickle.dump({SETTING_LABEL_FILE_FORMAT: LabelFileFormat.YOLO,
                 SETTING_LAST_OPEN_DIR: sys.argv[2]}, out)
"""


def labelimg_home(tmp_path: Path) -> Path:
    """HOME with labelImg settings from an earlier session: YOLO format, another image folder
    (written by a child process: this one keeps labelImg's Qt out, it has cv2's Qt loaded)."""
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    stale_dir = tmp_path / "earlier_session"
    stale_dir.mkdir()
    make_two_tone_image(stale_dir / "other.jpg")
    subprocess.run([sys.executable, "-c", SEED_SETTINGS, str(home / ".labelImgSettings.pkl"),
                    str(stale_dir)], check=True, cwd=REPO, timeout=60)
    return home


def start(command: list[str], desktop: Desktop, home: Path, log: Path,
          unset: tuple[str, ...] = ()) -> subprocess.Popen:
    """Run ``command`` on the test display. The environment keeps what ``import cv2`` in this
    process set (QT_QPA_PLATFORM_PLUGIN_PATH): 'gesturekit label' must cope with it."""
    env = {**desktop.env, "HOME": str(home), "XDG_RUNTIME_DIR": str(home)}
    for name in ("QT_QPA_PLATFORM", *unset):
        env.pop(name, None)
    return subprocess.Popen(command, env=env, cwd=REPO, stdout=open(log.with_suffix(".out"), "w"),
                            stderr=open(log.with_suffix(".err"), "w"))


def show_window(desktop: Desktop, process: subprocess.Popen) -> tuple[str, dict]:
    """Wait for labelImg on the two-tone image, enlarge it, fit the image to the window."""
    window = desktop.wait_window(f"^labelImg .*{IMAGE_ID}\\.jpg", process)
    desktop.xdotool("windowsize", "--sync", window, *WINDOW_SIZE)
    desktop.xdotool("windowfocus", "--sync", window)
    desktop.xdotool("key", "ctrl+f")  # Fit Window
    return window, image_on_screen(desktop.settled_grab())


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
        process.wait(timeout=10)


def draw_box(desktop: Desktop, process: subprocess.Popen, window: str, shown: dict,
             corners: list[tuple[int, int]], label: str) -> None:
    """W, drag from corner to corner (image pixels), type the class in labelImg's dialog."""
    scale = (shown["right"] - shown["left"]) / IMAGE_SIZE[0]
    (x0, y0), (x1, y1) = [(shown["left"] + x * scale, shown["top"] + y * scale)
                          for x, y in corners]
    desktop.xdotool("key", "w")
    desktop.xdotool("mousemove", int(x0), int(y0), "mousedown", 1)
    for step in (0.3, 0.7, 1.0):
        desktop.xdotool("mousemove", int(x0 + step * (x1 - x0)), int(y0 + step * (y1 - y0)))
    desktop.xdotool("mouseup", 1)
    dialog = desktop.wait_focus_change(window, process)
    desktop.xdotool("type", "--delay", 20, label)
    desktop.xdotool("key", "Return")  # taken by the completer's popup (it offers the class)
    desktop.xdotool("key", "Return")  # OK
    desktop.wait_focus_change(dialog, process)  # closed; no window manager refocuses:
    desktop.xdotool("windowfocus", "--sync", window)


def save_window(desktop: Desktop, window: str, path: Path) -> None:
    geometry = dict(line.split("=") for line in desktop.xdotool(
        "getwindowgeometry", "--shell", window).splitlines())
    x, y, w, h = (int(geometry[k]) for k in ("X", "Y", "WIDTH", "HEIGHT"))
    path.parent.mkdir(parents=True, exist_ok=True)
    desktop.grab().crop((x, y, x + w, y + h)).save(path)


def wait_saved(layout: VocLayout, image_id: str, timeout: float = 10) -> Path:
    xml = layout.annotation_path(image_id)
    deadline = time.monotonic() + timeout
    while not xml.is_file() and time.monotonic() < deadline:
        assert not list(layout.annotations.glob("*.txt")), "saved in YOLO format"
        time.sleep(0.1)
    assert xml.is_file(), "Ctrl+S wrote no XML"
    return xml


@pytest.mark.slow
def test_label_draw_save_zoom_scroll(xserver: str, tmp_path: Path) -> None:
    root = gui_voc_root(tmp_path)
    layout = VocLayout(root)
    existing = {p.name: p.read_bytes() for p in layout.annotations.glob("*.xml")}
    desktop = Desktop(xserver)
    log = tmp_path / "label"
    process = start([sys.executable, "-m", "gesturekit", "label", str(root)], desktop,
                    labelimg_home(tmp_path), log)
    try:
        window, before = show_window(desktop, process)
        zoom = 100 * (before["right"] - before["left"]) / IMAGE_SIZE[0]
        assert zoom > 120, f"image not fitted to the window: {before}"
        corners = [(80, 60), (240, 180)]
        draw_box(desktop, process, window, before, corners, "drop")
        desktop.xdotool("key", "ctrl+s")
        xml = wait_saved(layout, IMAGE_ID)

        # zoom out: Ctrl+wheel (2 notches, -10 % each), then Ctrl+- (-10 %); the image shrinks
        centre = ((before["left"] + before["right"]) // 2, (before["top"] + before["bottom"]) // 2)
        desktop.xdotool("mousemove", *centre, "keydown", "ctrl", "click", 5, "click", 5,
                        "keyup", "ctrl")
        assert_zoomed(before, image_on_screen(desktop.settled_grab()), (zoom - 20) / zoom)
        desktop.xdotool("key", "ctrl+minus")
        assert_zoomed(before, image_on_screen(desktop.settled_grab()), (zoom - 30) / zoom)

        # zoom in past the window with Ctrl+wheel, then scroll down with the wheel
        desktop.xdotool("keydown", "ctrl", *["click", 4] * 6, "keyup", "ctrl")
        zoomed_in = image_on_screen(desktop.settled_grab())
        assert zoomed_in["right"] - zoomed_in["left"] > before["right"] - before["left"]
        desktop.xdotool("click", 5, "click", 5)
        scrolled = image_on_screen(desktop.settled_grab())
        assert scrolled["boundary"] < zoomed_in["boundary"] - 10, (zoomed_in, scrolled)
        save_window(desktop, window, ARTIFACTS / "label_gui.png")

        desktop.xdotool("key", "d")  # next image: its XML is loaded (and must stay as it is)
        desktop.wait_window("^labelImg .*take01_000000\\.jpg", process, timeout=10)
        assert process.poll() is None, "labelImg died during the session"
        desktop.xdotool("key", "ctrl+q")
        assert process.wait(timeout=15) == 0
    except Exception:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        desktop.grab().save(ARTIFACTS / "label_gui_failure.png")
        raise
    finally:
        stop(process)
    stderr = log.with_suffix(".err").read_text()
    assert "Traceback" not in stderr, stderr

    ann = read_annotation(xml)
    assert [box.name for box in ann.boxes] == ["drop"]
    box = ann.boxes[0]
    tolerance = 2 + 200 / zoom  # a screen pixel is 100/zoom image pixels
    for got, want in zip((box.xmin, box.ymin, box.xmax, box.ymax), (*corners[0], *corners[1])):
        assert abs(got - want) <= tolerance, (box, corners)
    assert (ann.width, ann.height) == IMAGE_SIZE
    report = check_dataset(root)
    assert report.ok and not report.errors, [str(p) for p in report.errors]
    assert {p.name: p.read_bytes() for p in layout.annotations.glob("*.xml")
            if p.name in existing} == existing, "labelImg changed XML nobody edited"


@pytest.mark.slow
def test_upstream_labelimg_aborts_where_gesturekit_label_does_not(xserver: str,
                                                                   tmp_path: Path) -> None:
    """The same first steps (create mode, mouse over the image) in labelImg as installed."""
    root = gui_voc_root(tmp_path)
    desktop = Desktop(xserver)
    log = tmp_path / "upstream"
    argv = labelimg_argv(require_voc_root(root))
    command = [sys.executable, "-c", "import sys; from labelImg.labelImg import main; "
               f"sys.argv = {argv!r}; sys.exit(main())"]
    process = start(command, desktop, labelimg_home(tmp_path), log,
                    unset=("QT_QPA_PLATFORM_PLUGIN_PATH", "QT_QPA_FONTDIR"))
    try:
        _window, shown = show_window(desktop, process)
        desktop.xdotool("key", "w")
        for offset in (0, 10, 20):
            desktop.xdotool("mousemove", shown["left"] + 30 + offset, shown["top"] + 30 + offset)
        code = process.wait(timeout=15)
    finally:
        stop(process)
    assert code != 0
    assert "TypeError" in log.with_suffix(".err").read_text()
