"""Dataset interop: keras-retinanet CSV and COCO JSON exports of a VOC root; imports of
keras-retinanet CSV, CVAT "PASCAL VOC 1.1", Roboflow "Pascal VOC" and YOLO exports into one,
and a YOLO export of a root.

One module per format. Conventions shared by all (see :mod:`.boxes`): imported boxes
become labelImg's whole 1-based pixels inside the image; exported boxes are the 0-based
corners the kit trains on (VOC minus ``VOC_PIXEL_OFFSET``). Importers never overwrite a
different file, skip an identical one, and report every problem as one line naming the
input file instead of stopping.
"""
from .coco import export_coco
from .cvat import import_cvat
from .keras_csv import export_csv, import_csv
from .report import InteropReport
from .roboflow import import_roboflow
from .yolo import export_yolo, import_yolo, parse_class_map

__all__ = ["InteropReport", "export_coco", "export_csv", "import_csv", "import_cvat",
           "import_roboflow",
           "export_yolo", "import_yolo", "parse_class_map"]
