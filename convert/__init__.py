"""Export a converted GestureKit detector to ONNX and OpenVINO IR with its model card.

Modules: :mod:`convert.export` (``export_model`` and its ``ExportConfig``; the card it writes is the kit's one
:class:`detector.card.ModelCard`, and its inputs go through the one preprocessing,
:mod:`detector.preprocess`), :mod:`convert.preprocess` (the default input size).
Data flows voc_tools -> detector -> convert -> runtime; nothing here imports ``runtime``.
"""
