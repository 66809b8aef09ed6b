from setuptools import find_packages, setup

TRAIN = ["tensorflow>=2.21,<2.22", "tf-keras>=2.21,<2.22", "tensorboard>=2.21,<2.22",
         "keras-retinanet==1.0.0", "efficientnet==1.1.1"]
ALL = sorted(set(TRAIN + ["tf2onnx==1.17.0", "onnx", "onnxruntime>=1.31,<1.32", "nncf",
                          "labelImg==1.8.6", "lxml"]))

setup(
    name="gesturekit",
    version="0.1.0",
    description="Turn a few minutes of webcam video into a custom hand-gesture detector "
                "that runs fast on a CPU (keras-retinanet on tf-keras, VOC tools).",
    python_requires=">=3.10,<3.13",
    packages=find_packages(include=["gesturekit", "gesturekit.*", "voc_tools", "voc_tools.*",
                                    "detector", "detector.*", "convert", "convert.*",
                                    "sample_data", "sample_data.*"]),
    package_data={"gesturekit.runtime": ["cards/*.yaml"],
                  # the shipped hand detector (--weights hands) and its card
                  "detector": ["weights/hands.h5", "weights/hands.json", "weights/HANDS.md"]},
    # The core is what the dataset tools and the OpenVINO CPU runtime need (a deployment
    # installs only this); each extra adds one step's stack. The tested set is
    # requirements-lock.txt with every extra: pip install -c requirements-lock.txt -e ".[all]"
    install_requires=[
        "numpy",
        "opencv-python",
        "defusedxml",
        "pillow",
        "tqdm",
        "matplotlib",
        "pyyaml",
        "openvino>=2026.4,<2026.5",
    ],
    extras_require={
        # gesturekit train / evaluate / convert, the pose and clip classifiers
        "train": TRAIN,
        # gesturekit export: ONNX, OpenVINO IR from the SavedModel, INT8 with NNCF
        "export": TRAIN + ["tf2onnx==1.17.0", "onnx", "onnxruntime>=1.31,<1.32", "nncf"],
        # gesturekit label: labelImg (fixed at run time for Python 3.10+)
        "label": ["labelImg==1.8.6", "lxml"],
        "all": ALL,
        "dev": ALL + ["pytest", "pytest-timeout",
                      # the notebooks' test runs them on this environment's kernel
                      "nbclient", "nbformat", "ipykernel"],
    },
    entry_points={"console_scripts": ["gesturekit=gesturekit.cli:main"]},
)
