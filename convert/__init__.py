"""Export a converted GestureKit detector to ONNX and OpenVINO IR with its model card.

Modules: :mod:`convert.card` (the model card and ``load_card``), :mod:`convert.preprocess`
(the input rule a runtime reproduces), :mod:`convert.export` (``export_model`` and its
``ExportConfig``).
Data flows voc_tools -> detector -> convert -> runtime; nothing here imports ``runtime``.
"""
