"""``python -m gesturekit.labeling ROOT``: labelImg on a VOC root (same as ``gesturekit label ROOT``)."""
import argparse
import sys

from voc_tools.errors import run_reporting_errors

from .launch import run_labelimg

if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m gesturekit.labeling",
                                     description="annotate a VOC root with labelImg")
    parser.add_argument("root", metavar="ROOT", help="VOC root")
    arguments = parser.parse_args()
    sys.exit(run_reporting_errors("labeling", lambda: run_labelimg(arguments.root)))
